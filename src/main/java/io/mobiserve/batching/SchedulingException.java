package io.mobiserve.batching;

/** The scheduler did not run the work, and says why. */
public final class SchedulingException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why work was not run. */
  public enum Reason {
    /** Too many images are queued; try again later. */
    QUEUE_FULL,
    /** The scheduler is shutting down. */
    SHUT_DOWN,
    /** The caller's deadline passed before an engine took the work. */
    DEADLINE_EXPIRED,
    /** The caller cancelled before an engine took the work. */
    CANCELLED
  }

  private final Reason reason;

  public SchedulingException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
