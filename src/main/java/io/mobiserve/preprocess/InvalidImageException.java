package io.mobiserve.preprocess;

/**
 * An image cannot be used: corrupt, truncated, of an unsupported format, over a limit, of the wrong size.
 * The message says what is wrong in words a client can act on, without the image's index (the caller
 * adds it).
 */
public class InvalidImageException extends Exception {
  private static final long serialVersionUID = 1L;

  public InvalidImageException(String message) {
    super(message);
  }

  public InvalidImageException(String message, Throwable cause) {
    super(message, cause);
  }
}
