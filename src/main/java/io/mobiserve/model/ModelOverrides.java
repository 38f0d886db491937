package io.mobiserve.model;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Settings given on the command line that win over what a model file says about itself. Every component
 * is nullable: null means "not given", so the model's metadata or the defaults decide.
 *
 * <p>Immutable; build one with {@link #none()} and the {@code with...} methods.
 *
 * @param name the model's short name
 * @param inputHeight the input height, required for models whose height is dynamic
 * @param inputWidth the input width, required for models whose width is dynamic
 * @param resize the short side images are resized to before the centre crop
 * @param mean the per-channel mean, 3 values in the model's channel order
 * @param std the per-channel standard deviation, 3 values in the model's channel order
 * @param channelOrder the channel order the model expects
 * @param labelsFile a file of class names, one per line
 */
public record ModelOverrides(
    String name,
    Integer inputHeight,
    Integer inputWidth,
    Integer resize,
    float[] mean,
    float[] std,
    ChannelOrder channelOrder,
    Path labelsFile) {

  private static final ModelOverrides NONE = new ModelOverrides(null, null, null, null, null, null, null, null);

  public ModelOverrides {
    requirePositive(inputHeight, "input height");
    requirePositive(inputWidth, "input width");
    requirePositive(resize, "resize");
    mean = threeValues(mean, "mean");
    std = threeValues(std, "std");
  }

  /** Nothing overridden. */
  public static ModelOverrides none() {
    return NONE;
  }

  public ModelOverrides withName(String value) {
    return new ModelOverrides(value, inputHeight, inputWidth, resize, mean, std, channelOrder, labelsFile);
  }

  public ModelOverrides withInputSize(int height, int width) {
    return new ModelOverrides(name, height, width, resize, mean, std, channelOrder, labelsFile);
  }

  public ModelOverrides withResize(int value) {
    return new ModelOverrides(name, inputHeight, inputWidth, value, mean, std, channelOrder, labelsFile);
  }

  public ModelOverrides withNormalization(float[] meanValue, float[] stdValue) {
    return new ModelOverrides(name, inputHeight, inputWidth, resize, meanValue, stdValue, channelOrder, labelsFile);
  }

  public ModelOverrides withChannelOrder(ChannelOrder value) {
    return new ModelOverrides(name, inputHeight, inputWidth, resize, mean, std, value, labelsFile);
  }

  public ModelOverrides withLabelsFile(Path value) {
    return new ModelOverrides(name, inputHeight, inputWidth, resize, mean, std, channelOrder, value);
  }

  @Override
  public float[] mean() {
    return mean == null ? null : mean.clone();
  }

  @Override
  public float[] std() {
    return std == null ? null : std.clone();
  }

  @Override
  public String toString() {
    return "ModelOverrides[name=" + name + ", inputHeight=" + inputHeight + ", inputWidth=" + inputWidth
        + ", resize=" + resize + ", mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std)
        + ", channelOrder=" + channelOrder + ", labelsFile=" + labelsFile + "]";
  }

  private static void requirePositive(Integer value, String what) {
    if (value != null && value < 1) {
      throw new IllegalArgumentException(what + " must be positive, not " + value);
    }
  }

  private static float[] threeValues(float[] values, String what) {
    if (values == null) {
      return null;
    }
    if (values.length != 3) {
      throw new IllegalArgumentException(what + " needs 3 values, one per channel, not " + values.length);
    }
    return values.clone();
  }
}
