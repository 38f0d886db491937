package io.mobiserve.engine.tensorrt;

import java.util.Locale;

/** The numeric precision a TensorRT engine is built for ({@code --precision}). */
public enum Precision {
  /** FP16 when the GPU has fast FP16, else FP32. */
  AUTO,
  FP32,
  FP16;

  /** The name users write and read: {@code fp32}, {@code fp16}, {@code auto}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
