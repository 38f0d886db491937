package io.mobiserve.batching;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/** Splits a contiguous run of images into the one-buffer-per-image form the batcher takes. */
final class Images {
  private Images() {}

  /** {@code count} views of {@code contiguous} (from its position), each {@code remaining / count} floats. */
  static List<FloatBuffer> split(FloatBuffer contiguous, int count) {
    int size = contiguous.remaining() / count;
    List<FloatBuffer> images = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int from = contiguous.position() + i * size;
      images.add(contiguous.duplicate().limit(from + size).position(from).slice());
    }
    return images;
  }
}
