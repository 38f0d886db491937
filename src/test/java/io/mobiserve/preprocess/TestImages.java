package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.function.IntBinaryOperator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Test images made and encoded with the JDK only, so that they are independent of OpenCV. */
final class TestImages {
  private TestImages() {}

  /** An RGB image whose pixel (x, y) is {@code rgb.applyAsInt(x, y)} as 0xRRGGBB. */
  static BufferedImage rgb(int width, int height, IntBinaryOperator rgb) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, rgb.applyAsInt(x, y));
      }
    }
    return image;
  }

  static BufferedImage noise(int width, int height, long seed) {
    Random random = new Random(seed);
    return rgb(width, height, (x, y) -> random.nextInt(1 << 24));
  }

  /** Smooth gradients, which JPEG keeps well. */
  static BufferedImage gradient(int width, int height) {
    return rgb(width, height, (x, y) -> {
      int r = x * 255 / (width - 1);
      int g = y * 255 / (height - 1);
      int b = (x + y) * 255 / (width + height - 2);
      return r << 16 | g << 8 | b;
    });
  }

  static byte[] png(BufferedImage image) {
    return encode(image, "png");
  }

  static byte[] jpeg(BufferedImage image, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  private static byte[] encode(BufferedImage image, String format) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no ImageIO writer for " + format);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** height × width × 3 bytes of {@code image} in {@code order}. */
  static byte[] pixels(BufferedImage image, ChannelOrder order) {
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] bytes = new byte[w * h * 3];
    int i = 0;
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = image.getRGB(x, y);
        int r = rgb >> 16 & 0xFF;
        int g = rgb >> 8 & 0xFF;
        int b = rgb & 0xFF;
        bytes[i++] = (byte) (order == ChannelOrder.RGB ? r : b);
        bytes[i++] = (byte) g;
        bytes[i++] = (byte) (order == ChannelOrder.RGB ? b : r);
      }
    }
    return bytes;
  }

  static ByteBuffer direct(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
    buffer.put(bytes).flip();
    return buffer;
  }

  static float[] floats(FloatBuffer buffer, int count) {
    float[] values = new float[count];
    buffer.duplicate().flip().get(values);
    return values;
  }

  /** A destination full of a sentinel, to show what was (not) written. */
  static FloatBuffer sentinelDestination(int floats) {
    float[] values = new float[floats];
    Arrays.fill(values, 42f);
    return FloatBuffer.wrap(values);
  }
}
