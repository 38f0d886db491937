package io.mobiserve.batching;

import java.util.OptionalLong;

/** Work was not run, and why. */
public final class SchedulingException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why work was not run. */
  public enum Reason {
    /** Too many images are queued; try again later. */
    QUEUE_FULL,
    /** The server's memory budget cannot hold the work now; try again later. */
    MEMORY_FULL,
    /** The work queued ahead would take longer than the caller's deadline allows; try again later. */
    OVERLOADED,
    /** The work is larger than the server could ever take (the whole queue, the whole memory budget). */
    TOO_LARGE,
    /** The scheduler is shutting down. */
    SHUT_DOWN,
    /** The caller's deadline passed, or would pass before the work could finish, before an engine took it. */
    DEADLINE_EXPIRED,
    /** The caller cancelled before an engine took the work. */
    CANCELLED
  }

  private final Reason reason;
  private final long retryAfterMillis;

  public SchedulingException(Reason reason, String message) {
    this(reason, message, -1);
  }

  /** @param retryAfterMillis when a retry could succeed, for transient refusals; negative when unknown */
  public SchedulingException(Reason reason, String message, long retryAfterMillis) {
    super(message);
    this.reason = reason;
    this.retryAfterMillis = retryAfterMillis;
  }

  public Reason reason() {
    return reason;
  }

  /** How long the caller should wait before retrying, when the scheduler can tell. */
  public OptionalLong retryAfterMillis() {
    return retryAfterMillis < 0 ? OptionalLong.empty() : OptionalLong.of(retryAfterMillis);
  }
}
