package io.mobiserve.batching;

import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Preprocessed images waiting for inference, with the caller's deadline, cancellation, priority and
 * identity.
 *
 * @param input {@code images × C × H × W} floats (a direct buffer, so that engines read it without a copy)
 * @param images the number of images in {@code input}
 * @param deadlineNanos the {@link System#nanoTime()} after which the caller no longer wants the answer,
 *     or {@link Long#MAX_VALUE}
 * @param cancelled true once the caller has gone
 * @param priority how urgent the work is
 * @param source who sent it (a client or a stream), so that one source cannot starve the others
 */
public record InferenceWork(
    FloatBuffer input, int images, long deadlineNanos, BooleanSupplier cancelled, Priority priority, String source) {

  public InferenceWork {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(cancelled, "cancelled");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(source, "source");
    if (images < 1) {
      throw new IllegalArgumentException("work must hold at least one image, not " + images);
    }
    if (input.remaining() % images != 0) {
      throw new IllegalArgumentException(input.remaining() + " floats do not divide into " + images + " images");
    }
  }

  /** The number of floats of one image. */
  public int imageSize() {
    return input.remaining() / images;
  }
}
