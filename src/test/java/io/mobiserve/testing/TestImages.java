package io.mobiserve.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Image encodings made with the JDK's ImageIO: a second implementation, independent of the server's OpenCV. */
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

  /** Pixels as height × width × 3 bytes, RGB, or BGR when {@code bgr}. */
  public static byte[] pixels(BufferedImage image, boolean bgr) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] pixels = new byte[width * height * 3];
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        int rgb = image.getRGB(x, y);
        int offset = (y * width + x) * 3;
        byte r = (byte) (rgb >> 16);
        byte b = (byte) rgb;
        pixels[offset] = bgr ? b : r;
        pixels[offset + 1] = (byte) (rgb >> 8);
        pixels[offset + 2] = bgr ? r : b;
      }
    }
    return pixels;
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
}
