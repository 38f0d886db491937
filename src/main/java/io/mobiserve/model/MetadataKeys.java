package io.mobiserve.model;

/**
 * The ONNX {@code metadata_props} keys mobiserve writes into the models it generates and reads back
 * when it loads a model. All values are strings.
 */
public final class MetadataKeys {
  /** A description of the network for people, e.g. "MobileNetV3-Large (width 1.0, 224x224, ...)". */
  public static final String ARCHITECTURE = "mobiserve.architecture";
  /** The shorter side images are resized to before the centre crop, a decimal integer. */
  public static final String PREPROCESS_RESIZE = "mobiserve.preprocess.resize";
  /** Per-channel mean, three comma-separated decimals in the model's channel order. */
  public static final String PREPROCESS_MEAN = "mobiserve.preprocess.mean";
  /** Per-channel standard deviation, three comma-separated decimals in the model's channel order. */
  public static final String PREPROCESS_STD = "mobiserve.preprocess.std";
  /** {@code RGB} or {@code BGR}: the {@link ChannelOrder} of the model's input channels. */
  public static final String PREPROCESS_CHANNEL_ORDER = "mobiserve.preprocess.channel_order";
  /** {@code true} or {@code false}; generated models carry untrained, seeded weights. */
  public static final String TRAINED = "mobiserve.trained";
  /** The class names, one per line, in the order of the model's output. */
  public static final String LABELS = "mobiserve.labels";
  /** The seed the weights were generated from, a decimal long. */
  public static final String SEED = "mobiserve.seed";

  private MetadataKeys() {}
}
