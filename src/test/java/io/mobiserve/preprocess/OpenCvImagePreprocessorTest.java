package io.mobiserve.preprocess;

import io.mobiserve.testing.TestImages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class OpenCvImagePreprocessorTest {
  private static final InputShape SMALL = new InputShape(3, 64, 64);
  private static final Preprocessing SMALL_RGB =
      new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB);
  private static final InputShape LARGE = new InputShape(3, 224, 224);
  private static final Preprocessing LARGE_RGB = Preprocessing.torchvisionDefaults(LARGE);

  private final OpenCvImagePreprocessor small = new OpenCvImagePreprocessor(SMALL, SMALL_RGB, ImageLimits.DEFAULT);
  private final OpenCvImagePreprocessor large = new OpenCvImagePreprocessor(LARGE, LARGE_RGB, ImageLimits.DEFAULT);

  @Test
  void preprocess_givesTheSameTensorForPngRawRgbAndRawBgr() throws Exception {
    BufferedImage image = TestImages.noise(80, 60, 1);

    float[] fromPng = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(image))));
    float[] fromRgb = run(small, new ImageInput.Raw(
        TestImages.direct(TestImages.pixels(image, ChannelOrder.RGB)).asReadOnlyBuffer(), 80, 60, ChannelOrder.RGB));
    // a read-only heap buffer, as protobuf's ByteString hands out
    float[] fromBgr = run(small, new ImageInput.Raw(
        ByteBuffer.wrap(TestImages.pixels(image, ChannelOrder.BGR)).asReadOnlyBuffer(), 80, 60, ChannelOrder.BGR));

    assertThat(fromRgb).containsExactly(fromPng);
    assertThat(fromBgr).containsExactly(fromPng);
  }

  @Test
  void preprocess_writesTheModelsChannelOrder() throws Exception {
    BufferedImage image = TestImages.noise(72, 72, 2); // already at the resize size: no interpolation
    Preprocessing bgrModel =
        new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.BGR);
    ImageInput png = new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(image)));

    float[] rgb = run(small, png);
    float[] bgr = run(new OpenCvImagePreprocessor(SMALL, bgrModel, ImageLimits.DEFAULT), png);

    int plane = 64 * 64;
    // mean/std are given in the model's order, so the BGR model's channel 0 (blue) used mean[0]
    for (int i = 0; i < plane; i++) {
      assertThat(toByte(bgr[i], 0)).isEqualTo(toByte(rgb[2 * plane + i], 2));
      assertThat(toByte(bgr[2 * plane + i], 2)).isEqualTo(toByte(rgb[i], 0));
    }
    // and, independently of OpenCV: output (0, 0) is source pixel (4, 4), crop offset (72 - 64) / 2
    int rgbAt44 = image.getRGB(4, 4);
    assertThat(toByte(rgb[0], 0)).isEqualTo(rgbAt44 >> 16 & 0xFF);
    assertThat(toByte(rgb[plane], 1)).isEqualTo(rgbAt44 >> 8 & 0xFF);
    assertThat(toByte(rgb[2 * plane], 2)).isEqualTo(rgbAt44 & 0xFF);
  }

  @Test
  void preprocess_normalizesWithMeanAndStd() throws Exception {
    BufferedImage grey = TestImages.rgb(100, 100, (x, y) -> 0x80FF00);
    float[] out = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(grey))));

    int plane = 64 * 64;
    assertThat(out[0]).isCloseTo((128 / 255f - 0.485f) / 0.229f, within(1e-6f));
    assertThat(out[plane + 100]).isCloseTo((1 - 0.456f) / 0.224f, within(1e-6f));
    assertThat(out[3 * plane - 1]).isCloseTo((0 - 0.406f) / 0.225f, within(1e-6f));
  }

  @Test
  void preprocess_resizesThenCropsTheCentreOf640x480() throws Exception {
    // left third red, middle green, right third blue; a white band on top, a black one at the bottom
    BufferedImage image = TestImages.rgb(640, 480, (x, y) -> {
      if (y < 60) {
        return 0xFFFFFF;
      }
      if (y >= 420) {
        return 0x000000;
      }
      return x < 640 / 3 ? 0xFF0000 : x < 2 * 640 / 3 ? 0x00FF00 : 0x0000FF;
    });
    float[] out = run(large, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(image))));

    // 640x480 -> 341x256 (int(256 * 640 / 480)); crop 224 from left round(58.5) = 58, top 16.
    // Red ends at resized x 113.7 -> output 55.7; blue starts at 227.3 -> output 169.3: both bands
    // are ~55 columns wide when centred (a left-aligned crop would show 113 red columns and no blue).
    int middle = 112;
    int red = 0;
    int blue = 0;
    for (int x = 0; x < 224; x++) {
      int r = toByte(out[middle * 224 + x], 0);
      int b = toByte(out[2 * 224 * 224 + middle * 224 + x], 2);
      red += r > 200 ? 1 : 0;
      blue += b > 200 ? 1 : 0;
    }
    assertThat(red).isBetween(54, 56);
    assertThat(blue).isBetween(53, 55);
    // White ends at resized y 32 -> output 16; black starts at resized 224 -> output 208: 16 rows each.
    int white = 0;
    int black = 0;
    int plane = 224 * 224;
    for (int y = 0; y < 224; y++) {
      int r = toByte(out[y * 224 + middle], 0);
      int g = toByte(out[plane + y * 224 + middle], 1);
      int b = toByte(out[2 * plane + y * 224 + middle], 2);
      white += b > 200 ? 1 : 0; // the middle column is green elsewhere
      black += r < 50 && g < 50 && b < 50 ? 1 : 0;
    }
    assertThat(white).isBetween(15, 17);
    assertThat(black).isBetween(15, 17);
  }

  @Test
  void preprocess_enlargesSmallImagesBilinearly() throws Exception {
    // 32x32, left half black, right half white -> 72x72 by INTER_LINEAR, crop 64 from offset 4.
    BufferedImage image = TestImages.rgb(32, 32, (x, y) -> x < 16 ? 0 : 0xFFFFFF);
    float[] out = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(image))));

    for (int x = 0; x < 64; x++) {
      // independent bilinear reference with OpenCV/torchvision's half-pixel centres
      double src = (x + 4 + 0.5) * 32 / 72.0 - 0.5;
      double expected = 255 * Math.min(1, Math.max(0, src - 15));
      assertThat(toByte(out[10 * 64 + x], 0)).as("column %d", x).isCloseTo((int) Math.round(expected), within(1));
    }
  }

  @Test
  void preprocess_shrinksByAreaAveraging() throws Exception {
    // 80x80 one-pixel stripes -> 72x72: each output column averages 10/9 source columns, so an area
    // filter gives values near 128 with a slow beat, where a bilinear one would sample near 0 or 255.
    BufferedImage image = TestImages.rgb(80, 80, (x, y) -> x % 2 == 0 ? 0xFFFFFF : 0);
    float[] out = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(image))));

    double scale = 80 / 72.0;
    for (int x = 0; x < 64; x++) {
      // independent area reference: the overlap of [k*scale, (k+1)*scale) with each source column
      int k = x + 4;
      double from = k * scale;
      double to = (k + 1) * scale;
      double sum = 0;
      for (int src = (int) Math.floor(from); src < Math.ceil(to); src++) {
        double overlap = Math.min(to, src + 1) - Math.max(from, src);
        sum += overlap * (src % 2 == 0 ? 255 : 0);
      }
      assertThat(toByte(out[20 * 64 + x], 0)).as("column %d", x).isCloseTo((int) Math.round(sum / scale), within(1));
    }
  }

  @Test
  void preprocess_padsWithZeroPixelsWhenTheImageIsSmallerThanTheCrop() throws Exception {
    // resize 48 < crop 64: torchvision pads 8 zero pixels before and after in each dimension
    Preprocessing resize48 =
        new Preprocessing(48, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB);
    BufferedImage white = TestImages.rgb(48, 48, (x, y) -> 0xFFFFFF);
    float[] out = run(new OpenCvImagePreprocessor(SMALL, resize48, ImageLimits.DEFAULT),
        new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(white))));

    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 64; x++) {
        boolean inside = x >= 8 && x < 56 && y >= 8 && y < 56;
        assertThat(toByte(out[y * 64 + x], 0)).as("(%d, %d)", x, y).isEqualTo(inside ? 255 : 0);
      }
    }
  }

  @Test
  void preprocess_acceptsGreyscaleAndRgbaPng() throws Exception {
    BufferedImage grey = new BufferedImage(80, 80, BufferedImage.TYPE_BYTE_GRAY);
    BufferedImage rgba = new BufferedImage(80, 80, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 80; y++) {
      for (int x = 0; x < 80; x++) {
        grey.getRaster().setSample(x, y, 0, (x * 3 + y) & 0xFF);
        rgba.setRGB(x, y, 0xFF000000 | (x * 3) << 16 | (y * 3) << 8 | 7);
      }
    }
    BufferedImage opaque = TestImages.rgb(80, 80, (x, y) -> rgba.getRGB(x, y) & 0xFFFFFF);

    float[] fromGrey = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(grey))));
    float[] fromRgba = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(rgba))));
    float[] fromRgb = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(opaque))));

    int plane = 64 * 64;
    for (int i = 0; i < plane; i++) {
      assertThat(toByte(fromGrey[plane + i], 1)).isEqualTo(toByte(fromGrey[i], 0));
      assertThat(toByte(fromGrey[2 * plane + i], 2)).isEqualTo(toByte(fromGrey[i], 0));
    }
    assertThat(fromRgba).containsExactly(fromRgb);
  }

  @Test
  void preprocess_decodesAnImageIoJpegCloseToItsSource() throws Exception {
    BufferedImage image = TestImages.gradient(160, 120);
    float[] fromJpeg = run(small, new ImageInput.Encoded(ByteBuffer.wrap(TestImages.jpeg(image, 0.95f))));
    float[] fromPixels = run(small, new ImageInput.Raw(
        ByteBuffer.wrap(TestImages.pixels(image, ChannelOrder.RGB)), 160, 120, ChannelOrder.RGB));

    double sum = 0;
    for (int i = 0; i < fromJpeg.length; i++) {
      int c = i / (64 * 64);
      int diff = Math.abs(toByte(fromJpeg[i], c) - toByte(fromPixels[i], c));
      assertThat(diff).as("byte difference at %d", i).isLessThanOrEqualTo(8);
      sum += diff;
    }
    assertThat(sum / fromJpeg.length).as("mean byte difference").isLessThan(2);
  }

  @Test
  void preprocess_readsFromPositionToLimitWithoutMovingThem() throws Exception {
    byte[] png = TestImages.png(TestImages.noise(50, 70, 3));
    ByteBuffer padded = ByteBuffer.allocateDirect(png.length + 20);
    padded.position(7);
    padded.put(png);
    padded.position(7).limit(7 + png.length);

    float[] fromPadded = run(small, new ImageInput.Encoded(padded));

    assertThat(padded.position()).isEqualTo(7);
    assertThat(padded.limit()).isEqualTo(7 + png.length);
    assertThat(fromPadded).containsExactly(run(small, new ImageInput.Encoded(ByteBuffer.wrap(png))));
  }

  @Test
  void preprocess_writesAtTheDestinationPositionAndAdvancesIt() throws Exception {
    ImageInput image = new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(TestImages.noise(72, 72, 4))));
    FloatBuffer batch = FloatBuffer.allocate(2 * SMALL.elementCount());
    small.preprocess(image, batch);
    small.preprocess(image, batch);

    assertThat(batch.position()).isEqualTo(2 * SMALL.elementCount());
    float[] all = batch.array();
    for (int i = 0; i < SMALL.elementCount(); i++) {
      assertThat(all[SMALL.elementCount() + i]).isEqualTo(all[i]);
    }
  }

  @Test
  void preprocess_copiesAValidTensor() throws Exception {
    ByteBuffer tensor = ByteBuffer.allocate(4 * SMALL.elementCount()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < SMALL.elementCount(); i++) {
      tensor.putFloat(i * 0.5f - 3);
    }
    tensor.flip();
    float[] out = run(small, new ImageInput.Tensor(tensor));

    assertThat(tensor.position()).isZero();
    assertThat(out[0]).isEqualTo(-3f);
    assertThat(out[SMALL.elementCount() - 1]).isEqualTo((SMALL.elementCount() - 1) * 0.5f - 3);
  }

  static float[] run(ImagePreprocessor preprocessor, ImageInput image) throws InvalidImageException {
    FloatBuffer out = FloatBuffer.allocate(SMALL.elementCount() * 13); // room for either model
    preprocessor.preprocess(image, out);
    return TestImages.floats(out, out.position());
  }

  /** The 8-bit value that normalized to {@code value} in RGB-order channel {@code c} (ImageNet stats). */
  static int toByte(float value, int c) {
    return Math.round((value * Preprocessing.IMAGENET_STD[c] + Preprocessing.IMAGENET_MEAN[c]) * 255);
  }
}
