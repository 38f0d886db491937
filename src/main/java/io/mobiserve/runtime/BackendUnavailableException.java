package io.mobiserve.runtime;

/**
 * The backend that was asked for cannot run here ({@code tensorrt} without a usable GPU); the message says
 * what is missing. A configuration error: the server must not start.
 */
public final class BackendUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  BackendUnavailableException(String message) {
    super(message);
  }
}
