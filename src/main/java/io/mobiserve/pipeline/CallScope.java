package io.mobiserve.pipeline;

import io.mobiserve.batching.Priority;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Who is asking for a classification and what they allow: until when they want the answer, whether they
 * have gone, how urgent the work is and who they are. Work checks it before every costly step.
 *
 * @param deadlineNanos the {@link System#nanoTime()} after which the answer is no longer wanted, or
 *     {@link Long#MAX_VALUE}
 * @param cancelled true once the caller has gone
 * @param priority how urgent the work is
 * @param source who is asking (a client address, a stream), for fairness between callers
 */
public record CallScope(long deadlineNanos, BooleanSupplier cancelled, Priority priority, String source) {

  /** No deadline, never cancelled, bulk priority. */
  public static final CallScope UNBOUNDED = new CallScope(Long.MAX_VALUE, () -> false, Priority.BULK, "internal");

  public CallScope {
    Objects.requireNonNull(cancelled, "cancelled");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(source, "source");
  }

  boolean expired(long nowNanos) {
    return deadlineNanos != Long.MAX_VALUE && nowNanos - deadlineNanos >= 0;
  }
}
