package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CropGeometryTest {

  @Test
  void geometry_landscapeResizesTheShortSideAndTruncatesTheLongOne() throws Exception {
    // int(256 * 640 / 480) = int(341.33) = 341; left = round(117 / 2) = round(58.5) = 58 (half to even)
    assertThat(CropGeometry.of(640, 480, 256, 224, 224, Long.MAX_VALUE))
        .isEqualTo(new CropGeometry(341, 256, 58, 16, 0, 0, 224, 224));
  }

  @Test
  void geometry_portraitResizesTheWidth() throws Exception {
    // int(256 * 500 / 333) = int(384.38) = 384; top = round(160 / 2) = 80
    assertThat(CropGeometry.of(333, 500, 256, 224, 224, Long.MAX_VALUE))
        .isEqualTo(new CropGeometry(256, 384, 16, 80, 0, 0, 224, 224));
  }

  @Test
  void geometry_roundsHalvesToEvenLikePython() throws Exception {
    // resized 73 wide: round(4.5) = 4; resized 75: round(5.5) = 6
    assertThat(CropGeometry.of(73, 64, 64, 64, 64, Long.MAX_VALUE).srcX()).isEqualTo(4);
    assertThat(CropGeometry.of(75, 64, 64, 64, 64, Long.MAX_VALUE).srcX()).isEqualTo(6);
  }

  @Test
  void geometry_padsWhenTheCropIsLargerThanTheImage() throws Exception {
    // resized 50x50 into a 64x61 crop: pad (64 - 50) // 2 = 7 columns before, (61 - 50) // 2 = 5 rows
    assertThat(CropGeometry.of(100, 100, 50, 64, 61, Long.MAX_VALUE))
        .isEqualTo(new CropGeometry(50, 50, 0, 0, 7, 5, 50, 50));
  }

  @Test
  void geometry_saysWhetherTheResizeEnlarges() throws Exception {
    assertThat(CropGeometry.of(32, 32, 72, 64, 64, Long.MAX_VALUE).enlarges(32, 32)).isTrue();
    assertThat(CropGeometry.of(80, 80, 72, 64, 64, Long.MAX_VALUE).enlarges(80, 80)).isFalse();
  }

  @Test
  void geometry_refusesResizesOverThePixelLimit() {
    assertThatThrownBy(() -> CropGeometry.of(1_000_000, 1, 256, 224, 224, 40_000_000))
        .isInstanceOf(InvalidImageException.class)
        .hasMessageContaining("would make 65536000000 pixels, over the limit of 40000000");
  }
}
