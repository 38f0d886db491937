package io.mobiserve.engine;

/**
 * An engine failed in a way it cannot recover from in this process: every later batch would fail too, and
 * so would a new instance of the same backend, until the process restarts. A GPU engine throws it after a
 * "sticky" CUDA error (an illegal memory access, a kernel that faulted), which leaves the process's CUDA
 * context unusable.
 *
 * <p>Callers must not retry the engine: serve from a fallback, or report that a restart is required.
 */
public class UnrecoverableEngineException extends EngineException {
  private static final long serialVersionUID = 1L;

  public UnrecoverableEngineException(String message, Throwable cause) {
    super(message, cause);
  }

  public UnrecoverableEngineException(String message) {
    super(message);
  }
}
