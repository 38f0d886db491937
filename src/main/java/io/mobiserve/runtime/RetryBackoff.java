package io.mobiserve.runtime;

import java.time.Duration;

/**
 * When to try a failed engine again: after {@code initial}, then twice as long after each further
 * failure, never longer than {@code max}. Not thread-safe: owned by one engine instance.
 */
final class RetryBackoff {
  private final long initialNanos;
  private final long maxNanos;
  private long delayNanos;

  RetryBackoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("the initial back-off must be positive, not " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("the longest back-off " + max + " is shorter than the first " + initial);
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.delayNanos = initialNanos;
  }

  /** The wait after this failure; the next failure waits twice as long, up to the maximum. */
  long nextDelayNanos() {
    long delay = delayNanos;
    delayNanos = delayNanos > maxNanos / 2 ? maxNanos : delayNanos * 2;
    return delay;
  }

  /** A success: the next failure waits the initial delay again. */
  void reset() {
    delayNanos = initialNanos;
  }
}
