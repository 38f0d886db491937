package io.mobiserve.engine.tensorrt;

import org.slf4j.event.Level;

/**
 * Which SLF4J level each TensorRT log severity is written at, by the severity's numeric value: the
 * presets hand the logger a fresh enum object on every call, so identity comparisons never match.
 *
 * <p>TensorRT's INFO goes to DEBUG: during a build TensorRT reports dozens of INFO lines (tactic
 * selection, memory pools, "local timing cache in use") that say nothing an operator acts on, and our own
 * builder logs the build's outcome at INFO.
 */
final class TensorRtLogLevels {
  // nvinfer::ILogger::Severity values, stable since TensorRT 5.
  static final int INTERNAL_ERROR = 0;
  static final int ERROR = 1;
  static final int WARNING = 2;
  static final int INFO = 3;
  static final int VERBOSE = 4;

  private TensorRtLogLevels() {}

  /** The level for a severity value; unknown (future) values are logged as warnings rather than lost. */
  static Level levelOf(int severity) {
    return switch (severity) {
      case INTERNAL_ERROR, ERROR -> Level.ERROR;
      case WARNING -> Level.WARN;
      case INFO -> Level.DEBUG;
      case VERBOSE -> Level.TRACE;
      default -> Level.WARN;
    };
  }
}
