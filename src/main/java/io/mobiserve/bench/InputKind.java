package io.mobiserve.bench;

/** The form images are sent in: {@code --input tensor|raw|jpeg|png}. */
public enum InputKind {
  /** Float32 tensors preprocessed here for the model, as the server would. */
  TENSOR,
  /** Decoded RGB pixels. */
  RAW,
  JPEG,
  PNG
}
