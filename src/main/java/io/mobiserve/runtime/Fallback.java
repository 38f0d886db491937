package io.mobiserve.runtime;

/** What answers when the GPU engine fails while serving ({@code --fallback}). */
public enum Fallback {
  /** ONNX Runtime on the CPU runs the batch again at once, and the batches after it until the GPU recovers. */
  CPU,
  /** Nothing: the batch fails, and every image in it is answered with an error. */
  NONE
}
