package io.mobiserve.engine.tensorrt;

/** TensorRT's packed version number ({@code getInferLibVersion()}, major·10000 + minor·100 + patch) as text. */
final class TensorRtVersion {
  private TensorRtVersion() {}

  /** {@code 101500} → {@code "10.15.0"}. */
  static String format(int packed) {
    return (packed / 10000) + "." + (packed / 100 % 100) + "." + (packed % 100);
  }
}
