package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TensorRtProcessTest {

  @Test
  void version_unpacksMajorMinorPatch() {
    assertThat(TensorRtProcess.version(101501)).isEqualTo("10.15.1");
    assertThat(TensorRtProcess.version(110200)).isEqualTo("11.2.0");
  }
}
