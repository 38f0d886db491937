package io.mobiserve.model.mobilenet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.model.mobilenet.MobileNetV3Config.Variant;
import org.junit.jupiter.api.Test;

class MobileNetV3ConfigTest {

  @Test
  void width_mustBePositiveAndFinite() {
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.LARGE, 0, 224, 1000, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("width").hasMessageContaining("0.0");
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.LARGE, -0.5, 224, 1000, 1))
        .hasMessageContaining("-0.5");
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.LARGE, Double.NaN, 224, 1000, 1))
        .hasMessageContaining("NaN");
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.LARGE, 4.5, 224, 1000, 1))
        .hasMessageContaining("4.5");
  }

  @Test
  void resolution_mustBeAtLeast32() {
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.SMALL, 1.0, 31, 1000, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("resolution").hasMessageContaining("31");
    assertThat(new MobileNetV3Config(Variant.SMALL, 1.0, 32, 1000, 1).resolution()).isEqualTo(32);
  }

  @Test
  void classes_mustBeAtLeastOne() {
    assertThatThrownBy(() -> new MobileNetV3Config(Variant.SMALL, 1.0, 224, 0, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("classes").hasMessageContaining("0");
    assertThat(MobileNetV3Config.small(1).withClasses(1).classes()).isEqualTo(1);
  }

  @Test
  void variant_isRequired() {
    assertThatThrownBy(() -> new MobileNetV3Config(null, 1.0, 224, 1000, 1))
        .isInstanceOf(NullPointerException.class).hasMessageContaining("variant");
  }

  @Test
  void description_namesEveryChoice() {
    assertThat(MobileNetV3Config.large(3).description())
        .isEqualTo("MobileNetV3-Large (width 1.0, 224x224, 1000 classes, untrained seeded weights)");
    assertThat(MobileNetV3Config.small(3).withWidth(0.75).withResolution(160).withClasses(10).description())
        .isEqualTo("MobileNetV3-Small (width 0.75, 160x160, 10 classes, untrained seeded weights)");
  }

  @Test
  void preprocessing_resizesTo256Over224OfTheCrop() {
    assertThat(MobileNetV3Config.large(3).preprocessing().resizeShortSide()).isEqualTo(256);
    assertThat(MobileNetV3Config.large(3).withResolution(160).preprocessing().resizeShortSide()).isEqualTo(183);
  }
}
