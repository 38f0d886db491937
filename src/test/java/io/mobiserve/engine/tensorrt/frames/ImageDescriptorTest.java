package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.CropGeometry;
import io.mobiserve.preprocess.ImageLimits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class ImageDescriptorTest {
  private static final InputShape SHAPE = new InputShape(3, 224, 224);
  private static final Preprocessing PREPROCESSING = Preprocessing.torchvisionDefaults(SHAPE);

  @Test
  void forFrame_takesTorchvisionsGeometryForTheModel() throws Exception {
    ImageDescriptor d = ImageDescriptor.forFrame(0x7f00_0000_1000L, 640, 480, 1920, ChannelOrder.BGR, SHAPE,
        PREPROCESSING, ImageLimits.DEFAULT);

    // int(256 * 640 / 480) = 341; left = round(117 / 2) = 58 (half to even), top = (256 - 224) / 2 = 16
    assertThat(d.geometry()).isEqualTo(CropGeometry.of(640, 480, 256, 224, 224, Long.MAX_VALUE));
    assertThat(d.geometry().resizedWidth()).isEqualTo(341);
    assertThat(d.geometry().srcX()).isEqualTo(58);
    assertThat(d.geometry().srcY()).isEqualTo(16);
  }

  @Test
  void writeTo_laysOutTheHeadersStructLittleEndianAtItsIndex() throws Exception {
    // 100x60 resized to 83x50, inside the 224x224 crop: padding on all sides
    Preprocessing small = new Preprocessing(50, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD,
        ChannelOrder.RGB);
    ImageDescriptor d = ImageDescriptor.forFrame(0x0102_0304_0506_0708L, 100, 60, 304, ChannelOrder.BGR, SHAPE,
        small, ImageLimits.DEFAULT);
    ByteBuffer buffer = ByteBuffer.allocate(8 + 2 * ImageDescriptor.BYTES).order(ByteOrder.BIG_ENDIAN);
    buffer.position(8);

    d.writeTo(buffer, 1);

    assertThat(buffer.position()).isEqualTo(8);
    assertThat(buffer.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    ByteBuffer le = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = 8 + ImageDescriptor.BYTES;
    assertThat(le.get(at)).as("lowest byte first").isEqualTo((byte) 0x08);
    assertThat(le.getLong(at)).isEqualTo(0x0102_0304_0506_0708L);
    int[] fields = new int[12];
    for (int i = 0; i < 12; i++) {
      fields[i] = le.getInt(at + 8 + 4 * i);
    }
    // width, height, pitch, order (BGR = 1), resized 83x50, src (0, 0), dst ((224-83)/2, (224-50)/2), copy 83x50
    assertThat(fields).containsExactly(100, 60, 304, 1, 83, 50, 0, 0, 70, 87, 83, 50);
    for (int i = 8; i < at; i++) {
      assertThat(buffer.get(i)).as("descriptor 0, byte %d", i).isZero();
    }
  }

  @Test
  void descriptor_refusesARowPitchShorterThanARow() {
    CropGeometry g = new CropGeometry(256, 256, 16, 16, 0, 0, 224, 224);

    assertThatThrownBy(() -> new ImageDescriptor(4096, 256, 256, 767, ChannelOrder.RGB, g))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("row pitch 767 is less than 3 x width = 768");
  }
}
