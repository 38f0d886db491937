package io.mobiserve.model;

import java.util.Locale;
import java.util.Map;

/**
 * The {@code mobiserve.*} metadata properties of an ONNX model, parsed. Absent keys are null; keys this
 * version does not know are ignored so that newer model files still load.
 */
record ModelMetadata(
    Integer resize,
    float[] mean,
    float[] std,
    ChannelOrder channelOrder,
    Labels labels,
    String architecture,
    Boolean trained) {

  /**
   * @throws IllegalArgumentException when a value is malformed; the message starts with the key
   */
  static ModelMetadata parse(Map<String, String> props) {
    return new ModelMetadata(
        parseResize(props.get(MetadataKeys.PREPROCESS_RESIZE)),
        parseChannelValues(MetadataKeys.PREPROCESS_MEAN, props.get(MetadataKeys.PREPROCESS_MEAN), false),
        parseChannelValues(MetadataKeys.PREPROCESS_STD, props.get(MetadataKeys.PREPROCESS_STD), true),
        parseChannelOrder(props.get(MetadataKeys.PREPROCESS_CHANNEL_ORDER)),
        parseLabels(props.get(MetadataKeys.LABELS)),
        parseArchitecture(props.get(MetadataKeys.ARCHITECTURE)),
        parseTrained(props.get(MetadataKeys.TRAINED)));
  }

  private static Integer parseResize(String value) {
    if (value == null) {
      return null;
    }
    try {
      int resize = Integer.parseInt(value.strip());
      if (resize >= 1) {
        return resize;
      }
    } catch (NumberFormatException e) {
      // fall through to the message below
    }
    throw malformed(MetadataKeys.PREPROCESS_RESIZE, value, "a positive integer");
  }

  private static float[] parseChannelValues(String key, String value, boolean positive) {
    if (value == null) {
      return null;
    }
    String expected = positive ? "3 positive numbers separated by commas" : "3 numbers separated by commas";
    String[] parts = value.split(",", -1);
    if (parts.length != 3) {
      throw malformed(key, value, expected);
    }
    float[] values = new float[3];
    for (int i = 0; i < 3; i++) {
      try {
        values[i] = Float.parseFloat(parts[i].strip());
      } catch (NumberFormatException e) {
        throw malformed(key, value, expected);
      }
      if (!Float.isFinite(values[i]) || (positive && !(values[i] > 0))) {
        throw malformed(key, value, expected);
      }
    }
    return values;
  }

  private static ChannelOrder parseChannelOrder(String value) {
    if (value == null) {
      return null;
    }
    try {
      return ChannelOrder.valueOf(value.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw malformed(MetadataKeys.PREPROCESS_CHANNEL_ORDER, value, "RGB or BGR");
    }
  }

  private static Labels parseLabels(String value) {
    if (value == null) {
      return null;
    }
    try {
      return Labels.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(MetadataKeys.LABELS + ": " + e.getMessage(), e);
    }
  }

  private static String parseArchitecture(String value) {
    if (value == null) {
      return null;
    }
    if (value.isBlank()) {
      throw malformed(MetadataKeys.ARCHITECTURE, value, "a description");
    }
    return value.strip();
  }

  private static Boolean parseTrained(String value) {
    if (value == null) {
      return null;
    }
    // Boolean.parseBoolean would read any typo as false and silently mark a trained model untrained.
    switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw malformed(MetadataKeys.TRAINED, value, "true or false");
    }
  }

  private static IllegalArgumentException malformed(String key, String value, String expected) {
    return new IllegalArgumentException(key + " is \"" + value + "\"; expected " + expected);
  }
}
