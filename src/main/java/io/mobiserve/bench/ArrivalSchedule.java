package io.mobiserve.bench;

import java.util.SplittableRandom;

/**
 * When an open-loop generator sends its next request: the interval from one intended send time to the
 * next. Not thread-safe: one generator thread owns an instance.
 */
public interface ArrivalSchedule {

  /** The interval to the next intended send time, in nanoseconds; always positive. */
  long nextIntervalNanos();

  /** The same interval every time: {@code 1 / perSecond}. */
  static ArrivalSchedule constant(double perSecond) {
    long interval = intervalNanos(perSecond);
    return () -> interval;
  }

  /**
   * A Poisson process: exponentially distributed intervals with mean {@code 1 / perSecond}, drawn from a
   * generator seeded with {@code seed}, so two schedules with the same seed give the same sequence.
   */
  static ArrivalSchedule poisson(double perSecond, long seed) {
    double meanNanos = intervalNanos(perSecond);
    SplittableRandom random = new SplittableRandom(seed);
    return () -> {
      // 1 - nextDouble() is in (0, 1], so the logarithm is finite.
      double interval = -Math.log(1.0 - random.nextDouble()) * meanNanos;
      return Math.max(1, Math.round(interval));
    };
  }

  private static long intervalNanos(double perSecond) {
    if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
      throw new IllegalArgumentException("a rate must be a positive number of requests per second, not " + perSecond);
    }
    return Math.max(1, Math.round(1e9 / perSecond));
  }
}
