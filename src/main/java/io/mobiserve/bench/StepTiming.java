package io.mobiserve.bench;

import java.time.Duration;

/**
 * How long each step runs: a warm-up whose figures are dropped, then measurement windows for {@code
 * duration}, extended window by window up to {@code maxExtension} while the last windows disagree.
 *
 * @param window the length of one measurement window
 * @param timeout the deadline of each request
 */
public record StepTiming(
    Duration warmup, Duration duration, Duration window, Duration maxExtension, StabilityRule stability,
    Duration timeout) {

  public StepTiming {
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("the warm-up must not be negative, not " + warmup);
    }
    if (duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("the duration must be positive, not " + duration);
    }
    if (window.isNegative() || window.isZero() || window.compareTo(duration) > 0) {
      throw new IllegalArgumentException("a window must be positive and at most the duration, not " + window);
    }
    if (maxExtension.isNegative()) {
      throw new IllegalArgumentException("the max extension must not be negative, not " + maxExtension);
    }
  }

  /** Windows of a third of the duration, at most 5 s; at most one duration more to stabilize. */
  public static StepTiming of(Duration warmup, Duration duration, Duration timeout) {
    Duration window = duration.dividedBy(3);
    if (window.compareTo(Duration.ofSeconds(5)) > 0) {
      window = Duration.ofSeconds(5);
    }
    return new StepTiming(warmup, duration, window, duration, StabilityRule.PERF_ANALYZER, timeout);
  }

  /** The longest a step can last, drain included. */
  public Duration longestStep() {
    return warmup.plus(duration).plus(maxExtension).plus(window).plus(timeout);
  }
}
