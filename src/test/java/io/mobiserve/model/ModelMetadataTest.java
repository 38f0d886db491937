package io.mobiserve.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ModelMetadataTest {

  @Test
  void parse_readsEveryKey() {
    ModelMetadata metadata = ModelMetadata.parse(Map.of(
        "mobiserve.preprocess.resize", "72",
        "mobiserve.preprocess.mean", "0.485, 0.456,0.406",
        "mobiserve.preprocess.std", "0.229,0.224,0.225",
        "mobiserve.preprocess.channel_order", "bgr",
        "mobiserve.labels", "a\nb\n",
        "mobiserve.architecture", "MobileNetV3-Small",
        "mobiserve.trained", "false",
        "mobiserve.someday", "ignored"));

    assertThat(metadata.resize()).isEqualTo(72);
    assertThat(metadata.mean()).containsExactly(0.485f, 0.456f, 0.406f);
    assertThat(metadata.std()).containsExactly(0.229f, 0.224f, 0.225f);
    assertThat(metadata.channelOrder()).isEqualTo(ChannelOrder.BGR);
    assertThat(metadata.labels().asList()).containsExactly("a", "b");
    assertThat(metadata.architecture()).isEqualTo("MobileNetV3-Small");
    assertThat(metadata.trained()).isFalse();
  }

  @Test
  void parse_leavesAbsentKeysNull() {
    ModelMetadata metadata = ModelMetadata.parse(Map.of());

    assertThat(metadata).isEqualTo(new ModelMetadata(null, null, null, null, null, null, null));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "mobiserve.preprocess.resize | 0",
      "mobiserve.preprocess.resize | 72.5",
      "mobiserve.preprocess.mean | 0.5,0.5",
      "mobiserve.preprocess.mean | 0.5,x,0.5",
      "mobiserve.preprocess.mean | 0.5,NaN,0.5",
      "mobiserve.preprocess.std | 0.2,0,0.2",
      "mobiserve.preprocess.channel_order | RGBA",
      "mobiserve.labels | ''",
      "mobiserve.architecture | ' '",
      "mobiserve.trained | yes",
  })
  void parse_refusesMalformedValueNamingTheKey(String key, String value) {
    assertThatThrownBy(() -> ModelMetadata.parse(Map.of(key, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(key);
  }
}
