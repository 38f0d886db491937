package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.bytedeco.tensorrt.nvinfer.ILogger.Severity;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class TensorRtLogLevelsTest {

  @Test
  void levelOf_mapsEverySeverityOfThePresets() {
    // The preset's enum holds the values TensorRT passes; touching it loads no native library.
    assertThat(TensorRtLogLevels.levelOf(Severity.kINTERNAL_ERROR.value)).isEqualTo(Level.ERROR);
    assertThat(TensorRtLogLevels.levelOf(Severity.kERROR.value)).isEqualTo(Level.ERROR);
    assertThat(TensorRtLogLevels.levelOf(Severity.kWARNING.value)).isEqualTo(Level.WARN);
    assertThat(TensorRtLogLevels.levelOf(Severity.kINFO.value)).isEqualTo(Level.DEBUG);
    assertThat(TensorRtLogLevels.levelOf(Severity.kVERBOSE.value)).isEqualTo(Level.TRACE);
  }

  @Test
  void levelOf_unknownSeverity_isAWarningNotLost() {
    assertThat(TensorRtLogLevels.levelOf(7)).isEqualTo(Level.WARN);
  }
}
