package io.mobiserve.preprocess;

/**
 * Size limits on one image, checked before any decoding work.
 *
 * @param maxEncodedBytes the largest encoded (JPEG/PNG) file accepted
 * @param maxPixels the largest width × height accepted, for encoded and raw images alike
 */
public record ImageLimits(long maxEncodedBytes, long maxPixels) {

  public static final ImageLimits DEFAULT = new ImageLimits(16L << 20, 40_000_000L);

  public ImageLimits {
    if (maxEncodedBytes < 1) {
      throw new IllegalArgumentException("max encoded bytes must be positive, not " + maxEncodedBytes);
    }
    if (maxPixels < 1) {
      throw new IllegalArgumentException("max pixels must be positive, not " + maxPixels);
    }
  }
}
