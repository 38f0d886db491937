package io.mobiserve.server;

/**
 * Latencies in microseconds in a fixed amount of memory, with percentiles within 1/64 (1.6 %) of the
 * truth: a log-linear histogram in the manner of HdrHistogram (which is not on the classpath), so a
 * stream that runs for hours holds the same 3,712 counters as one that runs for a second. Not
 * thread-safe.
 */
final class LatencyHistogram {
  private static final int SUB_BUCKETS = 64;
  private static final int SUB_BITS = 6;
  // Values below 64 have a bucket each; above, each power of two is split into 64 equal buckets.
  private final long[] counts = new long[SUB_BUCKETS * (63 - SUB_BITS + 1)];
  private long total;
  private long max;

  void record(long micros) {
    long value = Math.max(0, micros);
    counts[index(value)]++;
    total++;
    max = Math.max(max, value);
  }

  long count() {
    return total;
  }

  long max() {
    return max;
  }

  /**
   * The smallest recorded bucket's upper bound (capped at the maximum) below which at least {@code
   * percentile} % of the values lie; 0 when nothing was recorded.
   */
  long percentile(double percentile) {
    if (total == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(total * percentile / 100.0));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.min(upperBound(i), max);
      }
    }
    return max;
  }

  private static int index(long value) {
    if (value < SUB_BUCKETS) {
      return (int) value;
    }
    int shift = (63 - Long.numberOfLeadingZeros(value)) - SUB_BITS;
    return shift * SUB_BUCKETS + (int) (value >>> shift);
  }

  private static long upperBound(int index) {
    if (index < SUB_BUCKETS) {
      return index;
    }
    int shift = index / SUB_BUCKETS - 1;
    long sub = index - (long) shift * SUB_BUCKETS;
    return ((sub + 1) << shift) - 1;
  }
}
