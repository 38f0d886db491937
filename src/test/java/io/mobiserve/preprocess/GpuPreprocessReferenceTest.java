package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The GPU kernels' reference against the server's OpenCV pipeline: the same numbers, up to OpenCV's
 * rounding of resized pixels to bytes, whether the image is cropped only, enlarged or shrunk.
 */
class GpuPreprocessReferenceTest {
  private static final InputShape SHAPE = new InputShape(3, 64, 64);
  private static final Preprocessing RGB_MODEL =
      new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB);
  private static final Preprocessing BGR_MODEL =
      new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.BGR);
  /**
   * OpenCV rounds the resized pixel to a byte (half a level) after weighting with fixed-point
   * coefficients; measured up to 0.78 of a level when enlarging.
   */
  private static final double ONE_BYTE_LEVEL = 1.01 / 255 / minStd(RGB_MODEL);

  @Test
  void cropOnly_matchesTheOpenCvPipeline() throws Exception {
    BufferedImage image = TestImages.noise(90, 72, 1); // short side already 72: nothing to interpolate
    for (ChannelOrder frameOrder : ChannelOrder.values()) {
      ImageInput.Raw raw = raw(image, frameOrder);

      assertThat(maxAbsDiff(reference(RGB_MODEL, raw), openCv(RGB_MODEL, raw))).as("%s frame", frameOrder)
          .isLessThanOrEqualTo(1e-6);
    }
  }

  @Test
  void enlarging_matchesOpenCvsLinearResizeUpToItsByteRounding() throws Exception {
    BufferedImage image = TestImages.noise(41, 30, 2); // to 98x72: OpenCV uses INTER_LINEAR too
    ImageInput.Raw raw = raw(image, ChannelOrder.RGB);

    assertThat(maxAbsDiff(reference(RGB_MODEL, raw), openCv(RGB_MODEL, raw))).isLessThanOrEqualTo(ONE_BYTE_LEVEL);
  }

  @Test
  void enlarging_interpolatesBetweenPixelCentresAndClampsAtTheEdges() throws Exception {
    // a 2x1 frame, black then red, resized to 8x4; mean 0 and std 1 leave v / 255
    byte[] pixels = {0, 0, 0, (byte) 255, 0, 0};
    Preprocessing plain = new Preprocessing(4, new float[] {0, 0, 0}, new float[] {1, 1, 1}, ChannelOrder.RGB);
    ImageInput.Raw raw = new ImageInput.Raw(ByteBuffer.wrap(pixels), 2, 1, ChannelOrder.RGB);
    FloatBuffer out = FloatBuffer.allocate(3 * 4 * 8);

    new GpuPreprocessReference(new InputShape(3, 4, 8), plain, ImageLimits.DEFAULT).preprocess(raw, out);

    // source x = (x + 0.5) * 2 / 8 - 0.5: -0.375 and -0.125 clamp to 0, 1.125 and 1.375 to 1
    float[] red = new float[8];
    out.get(8, red);
    assertThat(red).containsExactly(new float[] {0, 0, 0.125f, 0.375f, 0.625f, 0.875f, 1, 1}, within(1e-6f));
  }

  /**
   * Shrinking is OpenCV's INTER_AREA on both sides, so the two agree up to OpenCV's rounding of the resized
   * pixel to a byte: half a byte level. Measured on torchvision's 224-crop-of-256 geometry, from a 1.17x to
   * an 11.7x shrink, fine texture (where a box filter and bilinear sampling differ most) and noise: worst
   * case 0.00875 (half a level), mean 0.0035 to 0.0045. (Bilinear sampling, the kernels' shrink before,
   * differed by a mean of 0.13 to 0.84 and up to 2.7 here.)
   */
  @ParameterizedTest(name = "{0}x{1} {2}")
  @CsvSource({"640, 480, textured", "640, 480, noise", "1920, 1080, textured", "1920, 1080, noise",
      "333, 517, noise", "4000, 3000, textured", "300, 257, textured"})
  void shrinking_matchesOpenCvsAreaResizeUpToItsByteRounding(int width, int height, String kind) throws Exception {
    InputShape shape = new InputShape(3, 224, 224);
    Preprocessing torchvision = Preprocessing.torchvisionDefaults(shape);
    BufferedImage image = kind.equals("noise") ? TestImages.noise(width, height, 5) : textured(width, height);
    ImageInput.Raw raw = raw(image, ChannelOrder.RGB);

    float[] reference = run(new GpuPreprocessReference(shape, torchvision, ImageLimits.DEFAULT)::preprocess, raw, shape);
    float[] openCv = run(new OpenCvImagePreprocessor(shape, torchvision, ImageLimits.DEFAULT)::preprocess, raw, shape);

    double max = maxAbsDiff(reference, openCv);
    System.out.printf("GpuPreprocessReferenceTest: shrinking %dx%d %s: mean |diff| %.5f, max %.5f (half a byte "
        + "level %.5f)%n", width, height, kind, meanAbsDiff(reference, openCv), max, 0.5 / 255 / minStd(torchvision));
    assertThat(max).isLessThanOrEqualTo(0.51 / 255 / minStd(torchvision));
  }

  /** Fine detail in every channel: stripes of 3 to 7 pixels, a checkerboard of 5, a diagonal ramp. */
  private static BufferedImage textured(int width, int height) {
    return TestImages.rgb(width, height, (x, y) -> {
      int r = (int) (127.5 + 127.5 * Math.sin(x * 0.9) * Math.cos(y * 0.7));
      int g = ((x / 5 + y / 5) % 2 == 0) ? 230 : 25;
      int b = (x * 3 + y * 7) % 256;
      return r << 16 | g << 8 | b;
    });
  }

  @Test
  void padding_isTheNormalizedBlackAndTheImageSitsInTheMiddle() throws Exception {
    // 100x100 halved to 50x50 into a 64x61 crop: 7 columns and 5 rows of padding before. An exact halving
    // is the 2x2 average on both sides, so OpenCV agrees up to its byte rounding.
    InputShape shape = new InputShape(3, 61, 64);
    Preprocessing half = new Preprocessing(50, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD,
        ChannelOrder.RGB);
    ImageInput.Raw raw = raw(TestImages.noise(100, 100, 3), ChannelOrder.BGR);

    float[] reference = run(new GpuPreprocessReference(shape, half, ImageLimits.DEFAULT)::preprocess, raw, shape);
    float[] openCv = run(new OpenCvImagePreprocessor(shape, half, ImageLimits.DEFAULT)::preprocess, raw, shape);

    assertThat(maxAbsDiff(reference, openCv)).isLessThanOrEqualTo(ONE_BYTE_LEVEL);
    int plane = 61 * 64;
    for (int c = 0; c < 3; c++) {
      float black = -Preprocessing.IMAGENET_MEAN[c] / Preprocessing.IMAGENET_STD[c];
      assertThat(reference[c * plane + 6]).as("left padding").isEqualTo(black); // row 0, column 6
      assertThat(reference[c * plane + 5 * 64 + 6]).as("left padding").isEqualTo(black); // row 5
      assertThat(reference[c * plane + 4 * 64 + 7]).as("top padding").isEqualTo(black);
      assertThat(reference[c * plane + 55 * 64 + 7]).as("bottom padding").isEqualTo(black); // 5 + 50 = 55
      assertThat(reference[c * plane + 5 * 64 + 57]).as("right padding").isEqualTo(black); // 7 + 50 = 57
      assertThat(reference[c * plane + 5 * 64 + 7]).as("first image pixel").isNotEqualTo(black);
    }
  }

  @Test
  void channelOrder_followsTheModelWhateverTheFrame() throws Exception {
    BufferedImage image = TestImages.noise(72, 72, 4); // crop offset (4, 4): output (0, 0) is pixel (4, 4)
    int rgbAt = image.getRGB(4, 4);
    int red = rgbAt >> 16 & 0xFF;
    int blue = rgbAt & 0xFF;

    for (ChannelOrder frameOrder : ChannelOrder.values()) {
      float[] rgbModel = reference(RGB_MODEL, raw(image, frameOrder));
      float[] bgrModel = reference(BGR_MODEL, raw(image, frameOrder));

      int plane = 64 * 64;
      assertThat(byteOf(rgbModel[0], RGB_MODEL, 0)).as("%s frame, RGB model", frameOrder).isEqualTo(red);
      assertThat(byteOf(rgbModel[2 * plane], RGB_MODEL, 2)).as("%s frame, RGB model", frameOrder).isEqualTo(blue);
      assertThat(byteOf(bgrModel[0], BGR_MODEL, 0)).as("%s frame, BGR model", frameOrder).isEqualTo(blue);
      assertThat(byteOf(bgrModel[2 * plane], BGR_MODEL, 2)).as("%s frame, BGR model", frameOrder).isEqualTo(red);
    }
  }

  @Test
  void preprocess_refusesAFrameWhoseBytesDoNotMatchItsSize() {
    ImageInput.Raw raw = new ImageInput.Raw(ByteBuffer.allocate(3 * 10 * 10 - 1), 10, 10, ChannelOrder.RGB);

    assertThatThrownBy(() -> reference(RGB_MODEL, raw))
        .isInstanceOf(InvalidImageException.class)
        .hasMessageContaining("must be 300 bytes, got 299");
  }

  private static float[] reference(Preprocessing preprocessing, ImageInput.Raw raw) throws InvalidImageException {
    return run(new GpuPreprocessReference(SHAPE, preprocessing, ImageLimits.DEFAULT)::preprocess, raw, SHAPE);
  }

  private static float[] openCv(Preprocessing preprocessing, ImageInput.Raw raw) throws InvalidImageException {
    return run(new OpenCvImagePreprocessor(SHAPE, preprocessing, ImageLimits.DEFAULT)::preprocess, raw, SHAPE);
  }

  interface Preprocess {
    void preprocess(ImageInput.Raw raw, FloatBuffer destination) throws InvalidImageException;
  }

  private static float[] run(Preprocess preprocess, ImageInput.Raw raw, InputShape shape)
      throws InvalidImageException {
    FloatBuffer out = FloatBuffer.allocate(shape.elementCount());
    preprocess.preprocess(raw, out);
    assertThat(out.position()).as("floats written").isEqualTo(shape.elementCount());
    return out.array();
  }

  private static ImageInput.Raw raw(BufferedImage image, ChannelOrder order) {
    return new ImageInput.Raw(ByteBuffer.wrap(TestImages.pixels(image, order)), image.getWidth(), image.getHeight(),
        order);
  }

  private static BufferedImage shiftedLeft(BufferedImage image) {
    int width = image.getWidth();
    return TestImages.rgb(width, image.getHeight(), (x, y) -> image.getRGB(Math.min(x + 1, width - 1), y));
  }

  private static int byteOf(float value, Preprocessing preprocessing, int channel) {
    return Math.round((value * preprocessing.std()[channel] + preprocessing.mean()[channel]) * 255);
  }

  private static double maxAbsDiff(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static double meanAbsDiff(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += Math.abs(a[i] - b[i]);
    }
    return sum / a.length;
  }

  private static float minStd(Preprocessing preprocessing) {
    float[] std = preprocessing.std();
    return Math.min(std[0], Math.min(std[1], std[2]));
  }
}
