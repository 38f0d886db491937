package io.mobiserve.pipeline;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;

/**
 * Reusable direct buffers of one image's model input (C × H × W floats, native order), so that
 * preprocessing allocates no native memory per request: the garbage collector frees direct buffers only
 * when the heap is under pressure, which under load is too late.
 *
 * <p>Thread-safe. A buffer handed out belongs to the taker until it gives it back; a given-back buffer
 * beyond {@code maxIdle} is dropped to the garbage collector.
 */
final class ImageBufferPool {
  private final int imageFloats;
  private final int maxIdle;
  private final ArrayDeque<FloatBuffer> idle = new ArrayDeque<>();

  /**
   * @param imageFloats the floats of one image
   * @param maxIdle the most buffers kept for reuse
   */
  ImageBufferPool(int imageFloats, int maxIdle) {
    if (imageFloats < 1) {
      throw new IllegalArgumentException("an image must have at least one float, not " + imageFloats);
    }
    if (maxIdle < 0) {
      throw new IllegalArgumentException("max idle buffers must not be negative, not " + maxIdle);
    }
    this.imageFloats = imageFloats;
    this.maxIdle = maxIdle;
  }

  /** A buffer of one image, position 0, limit its capacity; its contents are undefined. */
  FloatBuffer take() {
    FloatBuffer buffer;
    synchronized (idle) {
      buffer = idle.pollFirst();
    }
    if (buffer == null) {
      buffer = ByteBuffer.allocateDirect(Math.multiplyExact(imageFloats, Float.BYTES))
          .order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    return buffer.clear();
  }

  /** Takes back a buffer from {@link #take()}; the giver must not touch it afterwards. */
  void give(FloatBuffer buffer) {
    synchronized (idle) {
      if (idle.size() < maxIdle) {
        idle.addFirst(buffer); // last given, first taken: its memory is warm
      }
    }
  }

  /** The number of buffers kept for reuse now. */
  int idle() {
    synchronized (idle) {
      return idle.size();
    }
  }
}
