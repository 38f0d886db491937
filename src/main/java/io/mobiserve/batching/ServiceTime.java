package io.mobiserve.batching;

/**
 * What engine batches take, as exponentially weighted moving averages of the batches that succeeded: the
 * time per batch and per image. Unknown (0) until the first batch (the runtime's warm-up runs one).
 *
 * <p>Written by the engine workers, read by any thread; a torn average between two writers is harmless
 * (it is an estimate), so the fields are only volatile.
 */
final class ServiceTime {
  /** Weight of the newest batch: about the last ten batches count. */
  private static final double WEIGHT = 0.2;

  private volatile double batchNanos;
  private volatile double nanosPerImage;

  void record(int images, long nanos) {
    double perImage = (double) nanos / images;
    if (batchNanos == 0) {
      batchNanos = nanos;
      nanosPerImage = perImage;
      return;
    }
    batchNanos += WEIGHT * (nanos - batchNanos);
    nanosPerImage += WEIGHT * (perImage - nanosPerImage);
  }

  /** How long a batch takes, or 0 before the first. */
  long batchNanos() {
    return (long) batchNanos;
  }

  /** How long one image of a batch takes, or 0 before the first batch. */
  double nanosPerImage() {
    return nanosPerImage;
  }
}
