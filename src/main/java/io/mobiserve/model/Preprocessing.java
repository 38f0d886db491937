package io.mobiserve.model;

import java.util.Arrays;

/**
 * The transform from decoded pixels to the model's input (torchvision's eval transform): resize so the
 * shorter side is {@code resizeShortSide}, crop the centre to the model's input height × width, scale to
 * [0, 1], then {@code (x - mean[c]) / std[c]} per channel, laid out CHW in {@code channelOrder}.
 *
 * <p>{@code mean} and {@code std} are given in the model's channel order.
 */
public record Preprocessing(int resizeShortSide, float[] mean, float[] std, ChannelOrder channelOrder) {

  /** torchvision's ImageNet normalization. */
  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  public Preprocessing {
    if (resizeShortSide < 1) {
      throw new IllegalArgumentException("resize must be positive, not " + resizeShortSide);
    }
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std must have 3 values each");
    }
    for (float s : std) {
      if (!(s > 0) || !Float.isFinite(s)) {
        throw new IllegalArgumentException("std values must be positive and finite, not " + Arrays.toString(std));
      }
    }
    for (float m : mean) {
      if (!Float.isFinite(m)) {
        throw new IllegalArgumentException("mean values must be finite, not " + Arrays.toString(mean));
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  /**
   * torchvision's defaults for a model with this input size: resize to 256/224 of the crop (256 for
   * 224), ImageNet mean and std, RGB.
   */
  public static Preprocessing torchvisionDefaults(InputShape input) {
    int crop = Math.min(input.height(), input.width());
    int resize = Math.round(crop * 256f / 224f);
    return new Preprocessing(resize, IMAGENET_MEAN, IMAGENET_STD, ChannelOrder.RGB);
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public String toString() {
    return "resize " + resizeShortSide + ", mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std)
        + ", " + channelOrder;
  }
}
