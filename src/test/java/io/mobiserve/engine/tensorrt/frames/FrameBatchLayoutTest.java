package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.tensorrt.frames.ImageDescriptor;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.CropGeometry;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameBatchLayoutTest {
  private static final InputShape SHAPE = new InputShape(3, 224, 224);
  private static final Preprocessing RGB_MODEL = Preprocessing.torchvisionDefaults(SHAPE); // resize 256
  private static final long DEVICE_BASE = 0x7f00_0000_0000L;

  @Test
  void alignUp_roundsToTheNextMultipleOf256() {
    assertThat(FrameBatchLayout.alignUp(0)).isZero();
    assertThat(FrameBatchLayout.alignUp(1)).isEqualTo(256);
    assertThat(FrameBatchLayout.alignUp(256)).isEqualTo(256);
    assertThat(FrameBatchLayout.alignUp(257)).isEqualTo(512);
    assertThat(FrameBatchLayout.alignUp(921_600)).isEqualTo(921_600); // 640x480x3 = 3600 x 256
  }

  @Test
  void of_startsEveryFrameOnA256ByteBoundaryRightAfterThePreviousOne() throws Exception {
    FrameBatchLayout layout = layout(
        frame(10, 10, ChannelOrder.RGB), // 300 bytes -> next at 512
        frame(1, 1, ChannelOrder.RGB), // 3 bytes -> next at 768
        frame(640, 480, ChannelOrder.BGR), // 921600 bytes, a multiple of 256
        frame(7, 3, ChannelOrder.RGB)); // 63 bytes

    assertThat(layout.frameCount()).isEqualTo(4);
    assertThat(layout.offset(0)).isZero();
    assertThat(layout.offset(1)).isEqualTo(512);
    assertThat(layout.offset(2)).isEqualTo(768);
    assertThat(layout.offset(3)).isEqualTo(768 + 921_600);
    assertThat(layout.totalBytes()).as("ends at the last frame's end, not padded").isEqualTo(768 + 921_600 + 63);
  }

  @Test
  void of_singleFrame_needsExactlyItsBytes() throws Exception {
    FrameBatchLayout layout = layout(frame(5, 4, ChannelOrder.RGB));

    assertThat(layout.offset(0)).isZero();
    assertThat(layout.totalBytes()).isEqualTo(60);
  }

  @Test
  void descriptor_pointsAtTheDeviceCopyOfItsFrame() throws Exception {
    FrameBatchLayout layout = layout(frame(10, 10, ChannelOrder.RGB), frame(33, 20, ChannelOrder.BGR));

    ImageDescriptor second = layout.descriptor(1, DEVICE_BASE);

    assertThat(second.devicePixels()).isEqualTo(DEVICE_BASE + 512);
    assertThat(second.devicePixels() % FrameBatchLayout.ALIGNMENT).isZero();
    assertThat(second.width()).isEqualTo(33);
    assertThat(second.height()).isEqualTo(20);
    assertThat(second.rowPitch()).as("packed rows").isEqualTo(99);
    assertThat(second.order()).isEqualTo(ChannelOrder.BGR);
    assertThat(layout.descriptor(0, DEVICE_BASE).order()).isEqualTo(ChannelOrder.RGB);
  }

  @Test
  void geometry_shrinking640x480_isTorchvisionsResizeAndCentreCrop() throws Exception {
    CropGeometry g = layout(frame(640, 480, ChannelOrder.RGB)).geometry(0);

    // int(256 * 640 / 480) = 341; left = round((341 - 224) / 2) = round(58.5) = 58; top = (256 - 224) / 2
    assertThat(g).isEqualTo(new CropGeometry(341, 256, 58, 16, 0, 0, 224, 224));
  }

  @Test
  void geometry_enlarging100x75_resizesUpThenCrops() throws Exception {
    CropGeometry g = layout(frame(100, 75, ChannelOrder.RGB)).geometry(0);

    // int(256 * 100 / 75) = 341, as for 640x480
    assertThat(g).isEqualTo(new CropGeometry(341, 256, 58, 16, 0, 0, 224, 224));
    assertThat(g.enlarges(100, 75)).isTrue();
  }

  @Test
  void geometry_cropLargerThanTheResizedImage_padsAroundIt() throws Exception {
    Preprocessing resize50 = new Preprocessing(50, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD,
        ChannelOrder.RGB);
    FrameBatchLayout layout = FrameBatchLayout.of(List.of(frame(100, 60, ChannelOrder.RGB)), SHAPE, resize50,
        ImageLimits.DEFAULT);

    // 100x60 -> 83x50 inside 224x224: (224 - 83) / 2 = 70 columns and (224 - 50) / 2 = 87 rows of padding before
    assertThat(layout.geometry(0)).isEqualTo(new CropGeometry(83, 50, 0, 0, 70, 87, 83, 50));
  }

  @Test
  void writeDescriptors_writesEachFramesRecordAtItsIndex() throws Exception {
    FrameBatchLayout layout = layout(frame(10, 10, ChannelOrder.RGB), frame(640, 480, ChannelOrder.BGR));
    ByteBuffer buffer = ByteBuffer.allocate(16 + 2 * ImageDescriptor.BYTES);
    buffer.position(16);

    layout.writeDescriptors(buffer, DEVICE_BASE);

    assertThat(buffer.position()).isEqualTo(16);
    ByteBuffer expected = ByteBuffer.allocate(2 * ImageDescriptor.BYTES);
    layout.descriptor(0, DEVICE_BASE).writeTo(expected, 0);
    layout.descriptor(1, DEVICE_BASE).writeTo(expected, 1);
    assertThat(Arrays.copyOfRange(buffer.array(), 16, buffer.capacity())).isEqualTo(expected.array());
    ByteBuffer le = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    assertThat(le.getLong(16 + ImageDescriptor.BYTES)).isEqualTo(DEVICE_BASE + 512);
    assertThat(le.getInt(16 + ImageDescriptor.BYTES + 20)).as("BGR").isEqualTo(1);
  }

  @Test
  void writeDescriptors_refusesABufferTooSmall() throws Exception {
    FrameBatchLayout layout = layout(frame(2, 2, ChannelOrder.RGB), frame(2, 2, ChannelOrder.RGB));

    assertThatThrownBy(() -> layout.writeDescriptors(ByteBuffer.allocate(2 * ImageDescriptor.BYTES - 1), 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("need 112 bytes");
  }

  @Test
  void copyFrames_putsEachFramesBytesAtItsOffsetWithoutMovingAnyPosition() throws Exception {
    ImageInput.Raw first = frame(10, 10, ChannelOrder.RGB);
    // a frame whose bytes start mid-buffer: only position..limit counts
    ByteBuffer backing = ByteBuffer.allocate(7 + 12);
    for (int i = 0; i < backing.capacity(); i++) {
      backing.put(i, (byte) (100 + i));
    }
    backing.position(7);
    ImageInput.Raw second = new ImageInput.Raw(backing, 2, 2, ChannelOrder.BGR);
    FrameBatchLayout layout = layout(first, second);
    ByteBuffer staging = ByteBuffer.allocate(4 + (int) layout.totalBytes());
    staging.position(4);

    layout.copyFrames(staging);

    assertThat(staging.position()).isEqualTo(4);
    assertThat(backing.position()).isEqualTo(7);
    assertThat(first.pixels().position()).isZero();
    byte[] all = staging.array();
    assertThat(Arrays.copyOfRange(all, 4, 4 + 300)).isEqualTo(first.pixels().array());
    assertThat(Arrays.copyOfRange(all, 4 + 512, 4 + 512 + 12))
        .isEqualTo(Arrays.copyOfRange(backing.array(), 7, 19));
  }

  @Test
  void copyFrames_refusesABufferTooSmall() throws Exception {
    FrameBatchLayout layout = layout(frame(10, 10, ChannelOrder.RGB), frame(1, 1, ChannelOrder.RGB));

    assertThatThrownBy(() -> layout.copyFrames(ByteBuffer.allocate(514)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("need 515 bytes");
  }

  @Test
  void of_wrongByteCount_namesTheFrameItsSizeAndBothCounts() {
    ImageInput.Raw short1 = new ImageInput.Raw(ByteBuffer.allocate(921_599), 640, 480, ChannelOrder.RGB);

    assertThatThrownBy(() -> layout(frame(2, 2, ChannelOrder.RGB), frame(2, 2, ChannelOrder.RGB), short1))
        .isInstanceOf(InvalidImageException.class)
        .hasMessage("frame 2: 640x480 RGB needs 921600 bytes, got 921599");
  }

  @Test
  void of_tooManyBytes_isRefusedToo() {
    ImageInput.Raw tooLong = new ImageInput.Raw(ByteBuffer.allocate(13), 2, 2, ChannelOrder.BGR);

    assertThatThrownBy(() -> layout(tooLong))
        .isInstanceOf(InvalidImageException.class)
        .hasMessage("frame 0: 2x2 BGR needs 12 bytes, got 13");
  }

  @Test
  void of_emptyDimension_namesTheFrame() {
    ImageInput.Raw empty = new ImageInput.Raw(ByteBuffer.allocate(0), 0, 5, ChannelOrder.RGB);

    assertThatThrownBy(() -> layout(frame(1, 1, ChannelOrder.RGB), empty))
        .isInstanceOf(InvalidImageException.class)
        .hasMessage("frame 1: width and height must be at least 1, got 0x5");
  }

  @Test
  void of_overThePixelLimit_namesTheFrame() {
    ImageLimits small = new ImageLimits(1 << 20, 99);

    assertThatThrownBy(() -> FrameBatchLayout.of(List.of(frame(10, 10, ChannelOrder.RGB)), SHAPE, RGB_MODEL, small))
        .isInstanceOf(InvalidImageException.class)
        .hasMessage("frame 0: 10x10 is over the limit of 99 pixels");
  }

  @Test
  void of_tooElongatedToResize_namesTheFrameAndKeepsCropGeometrysReason() {
    // 1x1000 is within 40M pixels, but resizing its short side to 256 would make 256 x 256000 of them
    ImageInput.Raw needle = frame(1, 1000, ChannelOrder.RGB);

    assertThatThrownBy(() -> layout(frame(1, 1, ChannelOrder.RGB), needle))
        .isInstanceOf(InvalidImageException.class)
        .hasMessageStartingWith("frame 1: image is 1x1000, too elongated")
        .hasMessageContaining("over the limit of 40000000");
  }

  @Test
  void of_batchOverTheStagingLimit_saysHowMuchItNeeds() {
    List<ImageInput.Raw> frames = List.of(frame(10, 10, ChannelOrder.RGB), frame(10, 10, ChannelOrder.RGB));

    // 300 bytes, aligned to 256 -> 512 + 300 = 812
    assertThatThrownBy(() -> FrameBatchLayout.of(frames, SHAPE, RGB_MODEL, ImageLimits.DEFAULT, 811))
        .isInstanceOf(InvalidImageException.class)
        .hasMessage("a batch of 2 frames needs 812 bytes of staging, over the limit of 811");
  }

  @Test
  void of_emptyBatch_isTheCallersBug() {
    assertThatThrownBy(() -> FrameBatchLayout.of(List.of(), SHAPE, RGB_MODEL, ImageLimits.DEFAULT))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static FrameBatchLayout layout(ImageInput.Raw... frames) throws InvalidImageException {
    return FrameBatchLayout.of(List.of(frames), SHAPE, RGB_MODEL, ImageLimits.DEFAULT);
  }

  private static ImageInput.Raw frame(int width, int height, ChannelOrder order) {
    byte[] pixels = new byte[3 * width * height];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (byte) (i * 31 + width);
    }
    return new ImageInput.Raw(ByteBuffer.wrap(pixels), width, height, order);
  }
}
