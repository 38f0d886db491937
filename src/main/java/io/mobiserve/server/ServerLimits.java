package io.mobiserve.server;

import io.mobiserve.preprocess.ImageLimits;

/**
 * The request limits the server enforces before doing any work.
 *
 * @param maxImagesPerRequest the most images in one ClassifyRequest
 * @param image per-image limits (encoded bytes, pixels)
 * @param maxMessageBytes the largest inbound gRPC message
 */
public record ServerLimits(int maxImagesPerRequest, ImageLimits image, int maxMessageBytes) {

  public static final int MAX_ID_BYTES = 256;

  public static final ServerLimits DEFAULT = new ServerLimits(64, ImageLimits.DEFAULT, 64 << 20);

  public ServerLimits {
    if (maxImagesPerRequest < 1) {
      throw new IllegalArgumentException("max images per request must be positive, not " + maxImagesPerRequest);
    }
    if (maxMessageBytes < 1024) {
      throw new IllegalArgumentException("max message bytes must be at least 1024, not " + maxMessageBytes);
    }
  }
}
