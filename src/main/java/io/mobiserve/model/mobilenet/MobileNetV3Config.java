package io.mobiserve.model.mobilenet;

import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.util.Locale;
import java.util.Objects;

/**
 * What to generate: which MobileNetV3, how wide, for which input size and class count, from which seed.
 *
 * <p>Validated at construction; an invalid value throws {@link IllegalArgumentException} with a
 * message naming it. Two equal configs always generate byte-identical ONNX models.
 *
 * @param variant Large or Small, the two networks of the paper's tables
 * @param width the width multiplier α, finite and in (0, 4]; channel counts are {@code α × c} rounded
 *     to a multiple of 8 as torchvision does. The upper bound keeps the model well under protobuf's 2 GiB
 *     message limit.
 * @param resolution the square input's side in pixels, at least 32 (five stride-2 stages leave a 1×1 map
 *     at 32). Like torchvision, sizes that are not multiples of 32 are accepted: the average pool at the
 *     end is global.
 * @param classes the number of output classes, from 1 to 100,000
 * @param seed the seed of the generated weights; any value
 */
public record MobileNetV3Config(Variant variant, double width, int resolution, int classes, long seed) {

  /** The two networks of "Searching for MobileNetV3" (Howard et al. 2019), Tables 1 and 2. */
  public enum Variant {
    LARGE("Large"),
    SMALL("Small");

    private final String displayName;

    Variant(String displayName) {
      this.displayName = displayName;
    }

    /** "Large" or "Small", as the paper names them. */
    public String displayName() {
      return displayName;
    }
  }

  public static final int DEFAULT_RESOLUTION = 224;
  public static final int IMAGENET_CLASSES = 1000;
  static final double MAX_WIDTH = 4.0;
  static final int MIN_RESOLUTION = 32;
  static final int MAX_CLASSES = 100_000;

  public MobileNetV3Config {
    Objects.requireNonNull(variant, "variant");
    if (!(width > 0) || !(width <= MAX_WIDTH)) {
      throw new IllegalArgumentException("width multiplier must be in (0, " + MAX_WIDTH + "], not " + width);
    }
    if (resolution < MIN_RESOLUTION) {
      throw new IllegalArgumentException(
          "resolution must be at least " + MIN_RESOLUTION + " pixels, not " + resolution);
    }
    if (classes < 1 || classes > MAX_CLASSES) {
      throw new IllegalArgumentException("classes must be from 1 to " + MAX_CLASSES + ", not " + classes);
    }
  }

  /** MobileNetV3-Large, width 1.0, 224×224, 1000 classes: torchvision's {@code mobilenet_v3_large()}. */
  public static MobileNetV3Config large(long seed) {
    return new MobileNetV3Config(Variant.LARGE, 1.0, DEFAULT_RESOLUTION, IMAGENET_CLASSES, seed);
  }

  /** MobileNetV3-Small, width 1.0, 224×224, 1000 classes: torchvision's {@code mobilenet_v3_small()}. */
  public static MobileNetV3Config small(long seed) {
    return new MobileNetV3Config(Variant.SMALL, 1.0, DEFAULT_RESOLUTION, IMAGENET_CLASSES, seed);
  }

  public MobileNetV3Config withWidth(double newWidth) {
    return new MobileNetV3Config(variant, newWidth, resolution, classes, seed);
  }

  public MobileNetV3Config withResolution(int newResolution) {
    return new MobileNetV3Config(variant, width, newResolution, classes, seed);
  }

  public MobileNetV3Config withClasses(int newClasses) {
    return new MobileNetV3Config(variant, width, resolution, newClasses, seed);
  }

  public MobileNetV3Config withSeed(long newSeed) {
    return new MobileNetV3Config(variant, width, resolution, classes, newSeed);
  }

  /** The model's input without the batch dimension: 3 × resolution × resolution. */
  public InputShape inputShape() {
    return new InputShape(3, resolution, resolution);
  }

  /** torchvision's eval transform for this resolution: resize to round(resolution × 256/224), ImageNet mean/std, RGB. */
  public Preprocessing preprocessing() {
    return Preprocessing.torchvisionDefaults(inputShape());
  }

  /** E.g. "MobileNetV3-Large (width 1.0, 224x224, 1000 classes, untrained seeded weights)". */
  public String description() {
    return String.format(
        Locale.ROOT,
        "MobileNetV3-%s (width %s, %dx%d, %d classes, untrained seeded weights)",
        variant.displayName(), width, resolution, resolution, classes);
  }
}
