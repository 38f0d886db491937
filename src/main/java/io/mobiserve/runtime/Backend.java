package io.mobiserve.runtime;

/** The inference backends a user can ask for with {@code --backend}. */
public enum Backend {
  /** TensorRT when it can run here, else the CPU. */
  AUTO,
  /** ONNX Runtime on the CPU; never touches CUDA. */
  CPU,
  /** TensorRT on a GPU, or fail at start. */
  TENSORRT
}
