package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.bytedeco.tensorrt.nvinfer.ILogger.Severity;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class TensorRtLoggerTest {

  @Test
  void levelOf_mapsEverySeverityOfThePresets() {
    // The preset's enum holds the values TensorRT passes; touching it loads no native library.
    assertThat(TensorRtLogger.Levels.of(Severity.kINTERNAL_ERROR.value)).isEqualTo(Level.ERROR);
    assertThat(TensorRtLogger.Levels.of(Severity.kERROR.value)).isEqualTo(Level.ERROR);
    assertThat(TensorRtLogger.Levels.of(Severity.kWARNING.value)).isEqualTo(Level.WARN);
    assertThat(TensorRtLogger.Levels.of(Severity.kINFO.value)).isEqualTo(Level.DEBUG);
    assertThat(TensorRtLogger.Levels.of(Severity.kVERBOSE.value)).isEqualTo(Level.TRACE);
  }

  @Test
  void levelOf_unknownSeverity_isAWarningNotLost() {
    assertThat(TensorRtLogger.Levels.of(7)).isEqualTo(Level.WARN);
  }
}
