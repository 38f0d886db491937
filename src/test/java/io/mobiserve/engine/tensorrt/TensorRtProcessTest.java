package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TensorRtProcessTest {

  @Test
  void version_unpacksMajorMinorPatch() {
    assertThat(TensorRtProcess.version(101501)).isEqualTo("10.15.1");
    assertThat(TensorRtProcess.version(110200)).isEqualTo("11.2.0");
  }

  @Test
  void requiredVersion_isThePresetsRelease() {
    assertThat(TensorRtProcess.REQUIRED_VERSION).isEqualTo("10.15");
  }

  @Test
  void builderFailure_withAnotherTensorRt_saysWhichWasFoundAndWhichIsNeeded() {
    assertThat(TensorRtProcess.builderFailure(101300))
        .startsWith("TensorRT could not create a builder: found TensorRT 10.13.0, this build needs 10.15")
        .doesNotContain("CUDA is not usable");
    assertThat(TensorRtProcess.builderFailure(110200)).contains("found TensorRT 11.2.0, this build needs 10.15");
  }

  @Test
  void builderFailure_withTheRightTensorRt_blamesCuda() {
    assertThat(TensorRtProcess.builderFailure(101501)).contains("CUDA is not usable in this process");
    assertThat(TensorRtProcess.versionMismatch(101500)).isEmpty();
    assertThat(TensorRtProcess.versionMismatch(101599)).isEmpty();
  }
}
