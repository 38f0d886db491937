package io.mobiserve.server.kserve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Triton's "value:index[:label]" strings, with the value written exactly as C's "%f" writes a float. */
class TritonClassificationTest {

  @Test
  void value_isSixDecimalsRoundedHalfToEvenFromTheExactBinaryValue() {
    assertThat(TritonClassification.value(0.9187f)).isEqualTo("0.918700");
    assertThat(TritonClassification.value(12.5f)).isEqualTo("12.500000");
    // 0.0078125 is exact in binary: a true tie, which printf rounds to even.
    assertThat(TritonClassification.value(0.0078125f)).isEqualTo("0.007812");
    assertThat(TritonClassification.value(0.0234375f)).isEqualTo("0.023438");
    assertThat(TritonClassification.value(-1e-9f)).isEqualTo("-0.000000");
    assertThat(TritonClassification.value(-0.0f)).isEqualTo("-0.000000");
    assertThat(TritonClassification.value(-3.25f)).isEqualTo("-3.250000");
    assertThat(TritonClassification.value(Float.NaN)).isEqualTo("nan");
    assertThat(TritonClassification.value(Float.NEGATIVE_INFINITY)).isEqualTo("-inf");
  }

  @Test
  void of_givesTheTopKHighestFirstWithLabelsWhereThereAreAny() {
    float[] values = {1.1f, 3.3f, 0.5f, 2.4f};
    assertThat(strings(TritonClassification.of(values, 2, i -> null))).containsExactly("3.300000:1", "2.400000:3");
    assertThat(strings(TritonClassification.of(values, 2, i -> "index_" + i + "_label")))
        .containsExactly("3.300000:1:index_1_label", "2.400000:3:index_3_label");
  }

  private static String[] strings(byte[][] bytes) {
    return Arrays.stream(bytes).map(b -> new String(b, StandardCharsets.UTF_8)).toArray(String[]::new);
  }
}
