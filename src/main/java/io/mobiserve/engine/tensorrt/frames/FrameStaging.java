package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.tensorrt.CudaBuffer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory one frame engine stages raw frames in for GPU preprocessing: the frames' bytes (pinned on the
 * host, then on the device) in a buffer that fits the batches seen lately, and the kernel's descriptors,
 * sized once for the largest batch. Allocated on the first batch, so engines that never see raw frames hold
 * nothing; freed by {@link #close}.
 *
 * <p>The frame buffer follows {@link Capacity}: it grows (doubling) up to {@link Limits#maxBytes()}, a
 * batch needing more is refused, and memory a whole {@link Limits#shrinkAfter()} did not need is given
 * back — shrunk to what that period needed at the next batch, or freed by {@link #releaseIfIdle} when no
 * batch came at all.
 *
 * <p>Not thread-safe: the caller serializes, and calls {@link #prepare} only while nothing queued on its
 * stream still uses the old buffers (the engine waits for its stream at the end of every batch, and after
 * every failure).
 */
final class FrameStaging implements AutoCloseable {
  /**
   * How much a frame engine may stage.
   *
   * @param maxBytes the most bytes of frames one batch may need, pinned and on the device each
   * @param shrinkAfter after this long, memory the batches did not need is given back
   */
  record Limits(long maxBytes, Duration shrinkAfter) {
    /** 256 MiB (ten 1080p frames take 62 MB), given back after a minute. */
    static final Limits DEFAULT = new Limits(256L << 20, Duration.ofMinutes(1));

    Limits {
      if (maxBytes < 1 || maxBytes > FrameBatchLayout.MAX_TOTAL_BYTES) {
        throw new IllegalArgumentException("frame staging limit must be from 1 to " + FrameBatchLayout.MAX_TOTAL_BYTES
            + " bytes, not " + maxBytes);
      }
      if (shrinkAfter.isNegative() || shrinkAfter.isZero()) {
        throw new IllegalArgumentException("shrink period must be positive, not " + shrinkAfter);
      }
    }
  }

  /**
   * The frame buffer's size over time: a pure decision from the capacity, the batch's need and the clock.
   * Not thread-safe.
   */
  static final class Capacity {
    private final Limits limits;
    private final long periodNanos;
    private long peak; // the most any batch needed since the period started, the batch that started it excluded
    private long periodStart;
    private long lastUse;
    private boolean used;

    Capacity(Limits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      this.periodNanos = limits.shrinkAfter().toNanos();
    }

    /**
     * The capacity to have for a batch needing {@code needed} bytes at {@code now}: {@code capacity} as it
     * is; more when it is too small (at least double, at most the limit); or, once a whole period needed at
     * most half of it, what that period needed.
     *
     * @throws IllegalArgumentException when {@code needed} is over the limit (the layout refuses such batches)
     */
    long forBatch(long capacity, long needed, long now) {
      if (needed > limits.maxBytes()) {
        throw new IllegalArgumentException("a batch of " + needed + " bytes is over the frame staging limit of "
            + limits.maxBytes());
      }
      lastUse = now;
      if (!used || needed > capacity) {
        used = true;
        startPeriod(now);
        return needed > capacity ? Math.max(needed, Math.min(2 * capacity, limits.maxBytes())) : capacity;
      }
      peak = Math.max(peak, needed);
      if (now - periodStart < periodNanos) {
        return capacity;
      }
      long wanted = peak;
      startPeriod(now);
      return capacity > 2 * wanted ? wanted : capacity;
    }

    /** True when no batch came for a whole period: the frame buffer can be freed. */
    boolean idle(long now) {
      return used && now - lastUse >= periodNanos;
    }

    /** After the frame buffer was freed: the next batch starts afresh. */
    void released() {
      used = false;
    }

    /** A period starts after the batch that resized the buffer (or closed the last period). */
    private void startPeriod(long now) {
      peak = 0;
      periodStart = now;
    }
  }

  private final CudaBuffer.Memory memory;
  private final int maxFrames;
  private final Capacity capacity;
  private final LongSupplier nanoClock;
  private CudaBuffer descriptors;
  private CudaBuffer frames;

  /**
   * @param maxFrames the largest batch: the descriptors are sized for it
   * @param nanoClock reads the time in nanoseconds ({@code System::nanoTime}; a fake one in tests)
   */
  FrameStaging(CudaBuffer.Memory memory, int maxFrames, Limits limits, LongSupplier nanoClock) {
    this.memory = Objects.requireNonNull(memory, "memory");
    this.maxFrames = maxFrames;
    this.capacity = new Capacity(limits);
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
  }

  /**
   * Makes room for a batch of {@code frameBytes}, reallocating the frame buffer when {@link Capacity} says
   * so (the old one is freed first, so at most one is held). The caller has set the CUDA device.
   */
  void prepare(long frameBytes) throws EngineException {
    if (descriptors == null) {
      descriptors = CudaBuffer.allocate(memory, "descriptors", (long) maxFrames * ImageDescriptor.BYTES);
    }
    long now = nanoClock.getAsLong();
    long current = frames == null ? 0 : frames.bytes();
    long wanted = capacity.forBatch(current, frameBytes, now);
    if (wanted != current) {
      freeFrames();
      frames = CudaBuffer.allocate(memory, "frames", wanted);
    }
  }

  /**
   * Frees the frame buffer when no batch came for a whole {@link Limits#shrinkAfter()}; the caller
   * serializes it with {@link #prepare} and has set the CUDA device.
   *
   * @return true when it freed memory
   */
  boolean releaseIfIdle() {
    if (frames == null || !capacity.idle(nanoClock.getAsLong())) {
      return false;
    }
    freeFrames();
    capacity.released();
    return true;
  }

  /** Bytes of frame buffer held now, pinned and on the device each. */
  long frameCapacity() {
    return frames == null ? 0 : frames.bytes();
  }

  /** The pinned descriptor array, over its whole size; call {@link #prepare} first. */
  ByteBuffer hostDescriptors() {
    return descriptors.host();
  }

  /** The pinned frame buffer, over its whole capacity; call {@link #prepare} first. */
  ByteBuffer hostFrames() {
    return frames.host();
  }

  Pointer pinnedDescriptors() {
    return descriptors.pinned();
  }

  Pointer deviceDescriptors() {
    return descriptors.device();
  }

  Pointer pinnedFrames() {
    return frames.pinned();
  }

  Pointer deviceFrames() {
    return frames.device();
  }

  private void freeFrames() {
    if (frames != null) {
      frames.close();
      frames = null;
    }
  }

  /** Frees everything. Idempotent. */
  @Override
  public void close() {
    freeFrames();
    if (descriptors != null) {
      descriptors.close();
      descriptors = null;
    }
  }
}
