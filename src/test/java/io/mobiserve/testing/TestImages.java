package io.mobiserve.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import io.mobiserve.model.ChannelOrder;
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

/**
 * Test images made and encoded with the JDK only (ImageIO), so that they are independent of the server's
 * OpenCV: a second implementation to check it against.
 */
public final class TestImages {
  private TestImages() {}

  public static BufferedImage decode(byte[] encoded) {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
      if (image == null) {
        throw new IllegalArgumentException("ImageIO cannot read this image");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] jpeg(BufferedImage image, float quality) {
    BufferedImage rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(image, 0, 0, null);
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(rgb, null, null), param);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  public static byte[] png(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** A photo-like test image: smooth gradients and a few shapes. */
  public static BufferedImage synthetic(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int r = 255 * x / width;
        int g = 255 * y / height;
        int b = ((x / 40 + y / 40) % 2 == 0) ? 200 : 40;
        image.setRGB(x, y, r << 16 | g << 8 | b);
      }
    }
    return image;
  }

  /** The first {@code length} bytes of {@code data}. */
  public static byte[] truncated(byte[] data, int length) {
    return Arrays.copyOf(data, length);
  }

  /** An RGB image whose pixel (x, y) is {@code rgb.applyAsInt(x, y)} as 0xRRGGBB. */
  public static BufferedImage rgb(int width, int height, IntBinaryOperator rgb) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, rgb.applyAsInt(x, y));
      }
    }
    return image;
  }

  public static BufferedImage noise(int width, int height, long seed) {
    Random random = new Random(seed);
    return rgb(width, height, (x, y) -> random.nextInt(1 << 24));
  }

  /** Smooth gradients, which JPEG keeps well. */
  public static BufferedImage gradient(int width, int height) {
    return rgb(width, height, (x, y) -> {
      int r = x * 255 / (width - 1);
      int g = y * 255 / (height - 1);
      int b = (x + y) * 255 / (width + height - 2);
      return r << 16 | g << 8 | b;
    });
  }

  /** height × width × 3 bytes of {@code image} in {@code order}. */
  public static byte[] pixels(BufferedImage image, ChannelOrder order) {
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

  public static ByteBuffer direct(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
    buffer.put(bytes).flip();
    return buffer;
  }

  public static float[] floats(FloatBuffer buffer, int count) {
    float[] values = new float[count];
    buffer.duplicate().flip().get(values);
    return values;
  }

  /** A destination full of a sentinel, to show what was (not) written. */
  public static FloatBuffer sentinelDestination(int floats) {
    float[] values = new float[floats];
    Arrays.fill(values, 42f);
    return FloatBuffer.wrap(values);
  }
}
