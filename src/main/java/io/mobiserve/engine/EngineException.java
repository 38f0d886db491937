package io.mobiserve.engine;

/** An inference engine failed to run a batch. The batch's input was valid; the fault is the engine's. */
public class EngineException extends Exception {
  private static final long serialVersionUID = 1L;

  public EngineException(String message, Throwable cause) {
    super(message, cause);
  }

  public EngineException(String message) {
    super(message);
  }
}
