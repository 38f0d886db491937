package io.mobiserve.preprocess;

/**
 * Size limits on one image, checked before any decoding work.
 *
 * @param maxEncodedBytes the largest encoded (JPEG/PNG) file accepted
 * @param maxPixels the largest width × height accepted, for encoded and raw images alike
 */
public record ImageLimits(long maxEncodedBytes, long maxPixels) {

  public static final ImageLimits DEFAULT = new ImageLimits(16L << 20, 40_000_000L);

  /**
   * The largest pixel limit that can be configured: 2^29 pixels (a 23170×23170 image), so that every
   * image's byte count (3 per pixel) and every side fit the 32-bit sizes OpenCV and the JDK's buffers use.
   */
  public static final long LARGEST_MAX_PIXELS = 1L << 29;

  public ImageLimits {
    if (maxEncodedBytes < 1) {
      throw new IllegalArgumentException("max encoded bytes must be positive, not " + maxEncodedBytes);
    }
    if (maxPixels < 1 || maxPixels > LARGEST_MAX_PIXELS) {
      throw new IllegalArgumentException("max pixels must be from 1 to " + LARGEST_MAX_PIXELS + ", not " + maxPixels);
    }
  }
}
