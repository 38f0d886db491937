package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {

  @Test
  void percentiles_ofOneToAThousandMilliseconds() {
    Histogram micros = new Histogram(3);
    for (int ms = 1; ms <= 1000; ms++) {
      micros.recordValue(ms * 1000L);
    }
    LatencySummary summary = LatencySummary.ofMicros(micros);
    assertThat(summary.count()).isEqualTo(1000);
    // HdrHistogram with 3 significant digits: values within 0.1%.
    assertThat(summary.p50()).isCloseTo(500, within(0.5));
    assertThat(summary.p90()).isCloseTo(900, within(0.9));
    assertThat(summary.p95()).isCloseTo(950, within(0.95));
    assertThat(summary.p99()).isCloseTo(990, within(1.0));
    assertThat(summary.max()).isCloseTo(1000, within(1.0));
    assertThat(summary.mean()).isCloseTo(500.5, within(0.5));
  }

  @Test
  void percentiles_areOrdered_onASkewedDistribution() {
    Histogram micros = new Histogram(3);
    for (int i = 0; i < 980; i++) {
      micros.recordValue(2_000);
    }
    for (int i = 0; i < 20; i++) {
      micros.recordValue(80_000);
    }
    LatencySummary s = LatencySummary.ofMicros(micros);
    assertThat(List.of(s.p50(), s.p90(), s.p95(), s.p99(), s.max())).isSorted();
    assertThat(s.p95()).isCloseTo(2.0, within(0.01));
    assertThat(s.p99()).isCloseTo(80.0, within(0.1));
  }

  @Test
  void empty_isAllZeros() {
    assertThat(LatencySummary.ofMicros(new Histogram(3))).isEqualTo(LatencySummary.EMPTY);
  }

  @Test
  void histogramBuckets_addUpToTheCount() {
    Histogram micros = new Histogram(3);
    for (int i = 1; i <= 500; i++) {
      micros.recordValue(i * 37L);
    }
    List<StepResult.Bucket> buckets = StepRecorder.buckets(micros);
    assertThat(buckets.stream().mapToLong(StepResult.Bucket::count).sum()).isEqualTo(500);
    assertThat(buckets).extracting(StepResult.Bucket::upToMs).isSorted();
    assertThat(buckets.size()).isBetween(30, 45);
  }
}
