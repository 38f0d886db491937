package io.mobiserve.batching;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Preprocessed images waiting for inference, with the caller's deadline, cancellation, priority and
 * identity.
 *
 * <p>Ownership of the images' memory: the scheduler reads the buffers (never writes them) until it runs
 * {@code releaseImages}, exactly once, after the work's future has completed and no engine batch is still
 * copying from them; the owner may then reuse the memory. Until then the owner must not change it.
 *
 * @param images one buffer per image, each holding C × H × W floats from its position to its limit (any
 *     byte order, heap or direct: each is copied once, into the engine's own batch memory)
 * @param deadlineNanos the {@link System#nanoTime()} after which the caller no longer wants the answer,
 *     or {@link Long#MAX_VALUE}
 * @param cancelled true once the caller has gone
 * @param priority how urgent the work is
 * @param source who sent it (a client or a stream), so that one source cannot starve the others
 * @param releaseImages gives the images' memory back to its owner; must not throw
 */
public record InferenceWork(
    List<FloatBuffer> images,
    long deadlineNanos,
    BooleanSupplier cancelled,
    Priority priority,
    String source,
    Runnable releaseImages) {

  public InferenceWork {
    images = List.copyOf(images);
    Objects.requireNonNull(cancelled, "cancelled");
    Objects.requireNonNull(priority, "priority");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(releaseImages, "releaseImages");
    if (images.isEmpty()) {
      throw new IllegalArgumentException("work must hold at least one image");
    }
  }

  /** Work whose images need no release (their memory is the garbage collector's). */
  public InferenceWork(List<FloatBuffer> images, long deadlineNanos, BooleanSupplier cancelled, Priority priority,
      String source) {
    this(images, deadlineNanos, cancelled, priority, source, () -> {});
  }

  /** The number of images. */
  public int imageCount() {
    return images.size();
  }
}
