package io.mobiserve.client;

import java.awt.image.BufferedImage;

/** The pixels of a decoded image as the API's RawImage takes them: height × width × 3 bytes, RGB. */
public final class RgbPixels {
  private RgbPixels() {}

  public static byte[] of(BufferedImage image) {
    int width = image.getWidth();
    int height = image.getHeight();
    byte[] pixels = new byte[width * height * 3];
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      image.getRGB(0, y, width, 1, row, 0, width);
      for (int x = 0; x < width; x++) {
        int offset = (y * width + x) * 3;
        pixels[offset] = (byte) (row[x] >> 16);
        pixels[offset + 1] = (byte) (row[x] >> 8);
        pixels[offset + 2] = (byte) row[x];
      }
    }
    return pixels;
  }
}
