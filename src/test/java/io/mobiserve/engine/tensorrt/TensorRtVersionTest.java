package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TensorRtVersionTest {

  @Test
  void format_unpacksMajorMinorPatch() {
    assertThat(TensorRtVersion.format(101501)).isEqualTo("10.15.1");
    assertThat(TensorRtVersion.format(110200)).isEqualTo("11.2.0");
  }
}
