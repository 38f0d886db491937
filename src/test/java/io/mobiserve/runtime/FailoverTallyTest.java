package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailoverTallyTest {
  private final EngineHealth health = EngineHealth.accelerated("onnxruntime-cpu");
  private final FailoverTally tally = FailoverTally.watching(health);

  @Test
  void aRunWithoutFailures_addsNothingToTheReport() {
    assertThat(tally.summary()).isEmpty();
  }

  @Test
  void failovers_areCountedInImages_withTheFirstReason() {
    health.degraded("tensorrt-gpu failed: cudaErrorIllegalAddress");
    health.failedOver(8);
    health.failedOver(3);
    health.recovered();

    assertThat(tally.summary()).contains("note: the GPU engine failed during the run (tensorrt-gpu failed: "
        + "cudaErrorIllegalAddress): 11 images ran on the CPU fallback, so these figures mix GPU and CPU");
  }

  @Test
  void aBackendAlreadyDegradedAtStart_isReported() {
    health.degraded("tensorrt-gpu failed: warm-up");
    FailoverTally late = FailoverTally.watching(health);

    assertThat(late.summary()).hasValueSatisfying(line -> assertThat(line).contains("warm-up"));
  }
}
