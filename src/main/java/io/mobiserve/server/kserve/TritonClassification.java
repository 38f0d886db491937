package io.mobiserve.server.kserve;

import io.mobiserve.preprocess.TopK;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.function.IntFunction;

/**
 * Triton's classification extension: an output's k highest values as "value:index[:label]" strings,
 * highest first (equal values by lower index), the value written as C's {@code std::to_string(float)}
 * writes it — six decimals, rounded half to even from the exact binary value — so that clients that parse
 * Triton's strings read the same numbers here.
 */
final class TritonClassification {
  private TritonClassification() {}

  /**
   * @param values one image's output
   * @param k from 1 to {@code values.length}
   * @param labels a class's name, or null when it has none
   */
  static byte[][] of(float[] values, int k, IntFunction<String> labels) {
    int[] best = TopK.largest(values, k);
    byte[][] strings = new byte[k][];
    for (int i = 0; i < k; i++) {
      int index = best[i];
      String label = labels.apply(index);
      String text = value(values[index]) + ":" + index + (label == null ? "" : ":" + label);
      strings[i] = text.getBytes(StandardCharsets.UTF_8);
    }
    return strings;
  }

  /** {@code printf("%f", value)}: "0.918700", "-0.000000", "12.500000", "nan", "inf". */
  static String value(float value) {
    if (Float.isNaN(value)) {
      return "nan";
    }
    if (Float.isInfinite(value)) {
      return value > 0 ? "inf" : "-inf";
    }
    String text = new BigDecimal(value).setScale(6, RoundingMode.HALF_EVEN).toPlainString();
    boolean negative = Float.floatToRawIntBits(value) < 0;
    return negative && !text.startsWith("-") ? "-" + text : text;
  }
}
