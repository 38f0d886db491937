package io.mobiserve.bench;

import java.util.List;

/**
 * perf_analyzer's rule for a trustworthy step: the last {@code windows} measurement windows agree, their
 * throughput and their p99 latency each varying by at most {@code tolerance} (largest / smallest ≤ 1 +
 * tolerance). A window in which nothing completed never agrees with anything.
 */
public record StabilityRule(int windows, double tolerance) {

  /** 3 consecutive windows within 10%. */
  public static final StabilityRule PERF_ANALYZER = new StabilityRule(3, 0.10);

  public StabilityRule {
    if (windows < 2) {
      throw new IllegalArgumentException("stability needs at least 2 windows to compare, not " + windows);
    }
    if (!(tolerance >= 0)) {
      throw new IllegalArgumentException("the stability tolerance must not be negative, not " + tolerance);
    }
  }

  /** Whether the last {@link #windows()} of {@code measured} agree; false while there are fewer. */
  public boolean isStable(List<Window> measured) {
    if (measured.size() < windows) {
      return false;
    }
    List<Window> last = measured.subList(measured.size() - windows, measured.size());
    return agree(last.stream().mapToDouble(Window::requestsPerSecond).toArray())
        && agree(last.stream().mapToDouble(Window::p99Ms).toArray());
  }

  private boolean agree(double[] values) {
    double min = Double.MAX_VALUE;
    double max = 0;
    for (double value : values) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    return min > 0 && max / min <= 1 + tolerance + 1e-9;
  }
}
