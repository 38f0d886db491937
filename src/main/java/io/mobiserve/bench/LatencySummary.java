package io.mobiserve.bench;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of a latency distribution, in milliseconds.
 *
 * @param count the number of values
 */
public record LatencySummary(long count, double mean, double p50, double p90, double p95, double p99, double max) {

  public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0, 0);

  /** Summarizes a histogram whose values are microseconds. */
  public static LatencySummary ofMicros(Histogram micros) {
    if (micros.getTotalCount() == 0) {
      return EMPTY;
    }
    return new LatencySummary(
        micros.getTotalCount(),
        micros.getMean() / 1000.0,
        micros.getValueAtPercentile(50) / 1000.0,
        micros.getValueAtPercentile(90) / 1000.0,
        micros.getValueAtPercentile(95) / 1000.0,
        micros.getValueAtPercentile(99) / 1000.0,
        micros.getMaxValue() / 1000.0);
  }
}
