package io.mobiserve.pipeline;

import java.util.function.BooleanSupplier;

/**
 * What the caller of a classification allows: until when it wants the answer, and whether it has gone.
 * Work checks it before every costly step.
 *
 * @param deadlineNanos the {@link System#nanoTime()} after which the answer is no longer wanted, or
 *     {@link Long#MAX_VALUE}
 * @param cancelled true once the caller has gone
 */
public record CallScope(long deadlineNanos, BooleanSupplier cancelled) {

  /** No deadline, never cancelled. */
  public static final CallScope UNBOUNDED = new CallScope(Long.MAX_VALUE, () -> false);

  boolean expired(long nowNanos) {
    return deadlineNanos != Long.MAX_VALUE && nowNanos - deadlineNanos >= 0;
  }
}
