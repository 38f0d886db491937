package io.mobiserve.engine;

/**
 * The raw scores a model produced for a batch: {@code batchSize × classes} floats, row-major.
 *
 * <p>Immutable once handed out; {@link #row} copies.
 */
public final class Logits {
  private final float[] values;
  private final int batchSize;
  private final int classes;

  public Logits(float[] values, int batchSize, int classes) {
    if (values.length != (long) batchSize * classes) {
      throw new IllegalArgumentException(
          "expected " + batchSize + "x" + classes + " logits, got " + values.length + " values");
    }
    this.values = values;
    this.batchSize = batchSize;
    this.classes = classes;
  }

  public int batchSize() {
    return batchSize;
  }

  public int classes() {
    return classes;
  }

  /** The logits of image {@code index} of the batch. */
  public float[] row(int index) {
    float[] row = new float[classes];
    System.arraycopy(values, index * classes, row, 0, classes);
    return row;
  }
}
