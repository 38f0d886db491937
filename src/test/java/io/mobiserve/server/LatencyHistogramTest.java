package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

  @Test
  void percentiles_areWithinTwoPercentOfTheTruth() {
    LatencyHistogram histogram = new LatencyHistogram();
    for (long v = 1; v <= 100_000; v++) {
      histogram.record(v);
    }
    assertThat(histogram.count()).isEqualTo(100_000);
    assertThat((double) histogram.percentile(50)).isCloseTo(50_000, within(1_000.0));
    assertThat((double) histogram.percentile(99)).isCloseTo(99_000, within(2_000.0));
    assertThat(histogram.percentile(100)).isEqualTo(100_000);
    assertThat(histogram.max()).isEqualTo(100_000);
  }

  @Test
  void smallValues_areExactAndEmptyIsZero() {
    LatencyHistogram histogram = new LatencyHistogram();
    assertThat(histogram.percentile(99)).isZero();
    histogram.record(3);
    histogram.record(7);
    assertThat(histogram.percentile(50)).isEqualTo(3);
    assertThat(histogram.percentile(99)).isEqualTo(7);
    histogram.record(Long.MAX_VALUE);
    assertThat(histogram.percentile(100)).isEqualTo(Long.MAX_VALUE);
  }
}
