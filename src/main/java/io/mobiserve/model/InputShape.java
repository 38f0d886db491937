package io.mobiserve.model;

/**
 * The shape of one image as the model takes it, without the batch dimension: channels × height × width.
 */
public record InputShape(int channels, int height, int width) {

  public InputShape {
    if (channels != 3) {
      throw new IllegalArgumentException("model input must have 3 channels, not " + channels);
    }
    if (height < 1 || width < 1) {
      throw new IllegalArgumentException("model input height and width must be positive, not " + height + "x" + width);
    }
  }

  /** The number of floats in one image: channels × height × width. */
  public int elementCount() {
    return channels * height * width;
  }
}
