package io.mobiserve.preprocess;

import io.mobiserve.testing.TestImages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Every refusal names the problem and leaves the destination as it was. */
class OpenCvImagePreprocessorRefusalTest {
  private static final InputShape SHAPE = new InputShape(3, 64, 64);
  private static final Preprocessing PREPROCESSING =
      new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB);
  private static final byte[] JPEG = TestImages.jpeg(TestImages.gradient(120, 90), 0.9f);
  private static final byte[] PNG = TestImages.png(TestImages.noise(90, 70, 5));

  private final OpenCvImagePreprocessor preprocessor =
      new OpenCvImagePreprocessor(SHAPE, PREPROCESSING, ImageLimits.DEFAULT);

  @Test
  void preprocess_refusesTruncatedJpeg() {
    assertRefused(encoded(Arrays.copyOf(JPEG, JPEG.length / 2)), "truncated JPEG (no end-of-image marker)");
  }

  @Test
  void preprocess_refusesJpegCutInsideItsHeader() {
    assertRefused(encoded(Arrays.copyOf(JPEG, 30)), "truncated JPEG (header ends before the frame size)");
  }

  @Test
  void preprocess_acceptsJpegWithTrailingPadding() throws Exception {
    byte[] padded = Arrays.copyOf(JPEG, JPEG.length + 4);
    padded[JPEG.length + 2] = (byte) 0xFF;
    preprocessor.preprocess(encoded(padded), FloatBuffer.allocate(SHAPE.elementCount()));
  }

  @Test
  void preprocess_refusesTruncatedPng() {
    assertRefused(encoded(Arrays.copyOf(PNG, PNG.length / 2)), "truncated PNG (no IEND chunk)");
  }

  @Test
  void preprocess_refusesPngWithoutPixelData() {
    byte[] bytes = png(ihdr(64, 64), chunk("IDAT", new byte[] {1, 2, 3, 4, 5}), chunk("IEND", new byte[0]));
    assertRefused(encoded(bytes), "corrupt PNG (decoder failed");
  }

  @Test
  void preprocess_refusesJpegWithoutScan() {
    byte[] bytes = {
      (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xC0, 0, 11, 8, 0, 16, 0, 16, 1, 1, 0x11, 0,
      (byte) 0xFF, (byte) 0xD9
    };
    assertRefused(encoded(bytes), "corrupt JPEG (decoder failed");
  }

  @Test
  void preprocess_refusesRandomBytes() {
    byte[] bytes = new byte[1000];
    new Random(7).nextBytes(bytes);
    bytes[0] = 0x12;
    assertRefused(encoded(bytes), "unsupported image format (expected JPEG or PNG)");
  }

  @Test
  void preprocess_refusesEmptyBytes() {
    assertRefused(encoded(new byte[0]), "image data is empty");
  }

  @Test
  void preprocess_refusesHugePngFromItsHeaderAlone() {
    byte[] header = png(ihdr(30000, 30000)); // 33 bytes: no pixel data, no IEND
    long start = System.nanoTime();
    assertRefused(encoded(header), "image is 30000x30000 = 900000000 pixels, over the limit of 40000000");
    // Decoding would allocate 2.7 GB (over this JVM's heap limit, and minutes of work); the header is enough.
    assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
  }

  @Test
  void preprocess_refusesHugeJpegFromItsHeaderAlone() {
    byte[] bytes = {
      (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 4, 0, 0, // an APP0 to skip
      (byte) 0xFF, (byte) 0xC2, 0, 11, 8, (byte) 0xEA, 0x60, (byte) 0xEA, 0x60, 1, 1, 0x11, 0, // SOF2 60000x60000
      (byte) 0xFF, (byte) 0xD9
    };
    assertRefused(encoded(bytes), "image is 60000x60000 = 3600000000 pixels, over the limit of 40000000");
  }

  @Test
  void preprocess_refusesJpegSegmentRunningPastTheEnd() {
    byte[] bytes = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, 0x7F, 0x00, 1, 2, (byte) 0xFF, (byte) 0xD9};
    assertRefused(encoded(bytes), "truncated JPEG (header ends before the frame size)");
  }

  @Test
  void preprocess_refusesEncodedImageOverTheByteLimit() {
    OpenCvImagePreprocessor strict = new OpenCvImagePreprocessor(SHAPE, PREPROCESSING, new ImageLimits(100, 1000));
    // random bytes too: the size is checked before anything else
    assertRefused(strict, encoded(new byte[101]), "encoded image is 101 bytes, over the limit of 100");
  }

  @Test
  void preprocess_refusesRawImageOfTheWrongLength() {
    ByteBuffer pixels = ByteBuffer.allocate(80 * 60 * 3 - 1);
    assertRefused(new ImageInput.Raw(pixels, 80, 60, ChannelOrder.RGB),
        "raw image 80x60 RGB must be 14400 bytes (height x width x 3), got 14399");
  }

  @Test
  void preprocess_refusesRawImageOfZeroWidth() {
    assertRefused(new ImageInput.Raw(ByteBuffer.allocate(0), 0, 60, ChannelOrder.BGR),
        "raw image width and height must be at least 1, got 0x60");
  }

  @Test
  void preprocess_refusesRawImageWithASideOver2To31AsTheClientSentIt() {
    // 4294920970 x 2863342415 as ints, from a uint32 cast (issue 10); the message once read "got -46326x-1431624881"
    assertRefused(new ImageInput.Raw(ByteBuffer.allocate(2_724_418), (int) 4294920970L, (int) 2863342415L, ChannelOrder.RGB),
        "raw image is 4294920970x2863342415, over the largest side of 2147483647");
    assertRefused(new ImageInput.Raw(ByteBuffer.allocate(0), -63487, 0, ChannelOrder.RGB),
        "raw image is 4294903809x0, over the largest side of 2147483647");
  }

  @Test
  void preprocess_refusesRawImageOverThePixelLimit() {
    OpenCvImagePreprocessor strict = new OpenCvImagePreprocessor(SHAPE, PREPROCESSING, new ImageLimits(100, 1000));
    assertRefused(strict, new ImageInput.Raw(ByteBuffer.allocate(3 * 1001), 1001, 1, ChannelOrder.RGB),
        "image is 1001x1 = 1001 pixels, over the limit of 1000");
  }

  @Test
  void preprocess_refusesRawImageTooElongatedToResize() {
    // within the pixel limit, but its short side of 1 would be resized to 72: 72 x 720000 pixels
    assertRefused(new ImageInput.Raw(ByteBuffer.allocate(3 * 10_000), 10_000, 1, ChannelOrder.RGB),
        "too elongated");
  }

  @Test
  void preprocess_refusesTensorOfTheWrongLength() {
    assertRefused(new ImageInput.Tensor(ByteBuffer.allocate(100)),
        "tensor must be 3x64x64 float32 = 49152 bytes, got 100 bytes");
  }

  @Test
  void preprocess_refusesTensorWithNaN() {
    assertRefused(new ImageInput.Tensor(tensorWith(1234, Float.NaN)), "tensor value at index 1234 is NaN");
  }

  @Test
  void preprocess_refusesTensorWithInfinity() {
    assertRefused(new ImageInput.Tensor(tensorWith(SHAPE.elementCount() - 1, Float.NEGATIVE_INFINITY)),
        "tensor value at index 12287 is -Infinity");
    assertRefused(new ImageInput.Tensor(tensorWith(0, Float.POSITIVE_INFINITY)), "tensor value at index 0 is Infinity");
  }

  @Test
  void preprocess_refusesADestinationWithoutRoomAsTheCallersBug() {
    FloatBuffer tooSmall = FloatBuffer.allocate(SHAPE.elementCount() - 1);
    assertThatThrownBy(() -> preprocessor.preprocess(encoded(PNG), tooSmall))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("destination has room for 12287 floats, 12288 needed");
    assertThat(tooSmall.position()).isZero();
  }

  private void assertRefused(ImageInput image, String message) {
    assertRefused(preprocessor, image, message);
  }

  private static void assertRefused(ImagePreprocessor preprocessor, ImageInput image, String message) {
    FloatBuffer destination = TestImages.sentinelDestination(SHAPE.elementCount() + 5);
    destination.position(5);
    assertThatThrownBy(() -> preprocessor.preprocess(image, destination))
        .isInstanceOf(InvalidImageException.class)
        .hasMessageContaining(message);
    assertThat(destination.position()).isEqualTo(5);
    assertThat(destination.array()).containsOnly(42f);
  }

  private static ImageInput encoded(byte[] bytes) {
    return new ImageInput.Encoded(ByteBuffer.wrap(bytes));
  }

  private static ByteBuffer tensorWith(int index, float value) {
    ByteBuffer tensor = ByteBuffer.allocate(4 * SHAPE.elementCount()).order(ByteOrder.LITTLE_ENDIAN);
    tensor.putFloat(4 * index, value);
    return tensor;
  }

  private static byte[] ihdr(int width, int height) {
    return chunk("IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
  }

  private static byte[] chunk(String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    return ByteBuffer.allocate(12 + data.length)
        .putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue()).array();
  }

  private static byte[] png(byte[]... chunks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    for (byte[] chunk : chunks) {
      out.writeBytes(chunk);
    }
    return out.toByteArray();
  }
}
