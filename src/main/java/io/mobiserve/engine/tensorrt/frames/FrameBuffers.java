package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.tensorrt.CudaCheck;
import java.nio.ByteBuffer;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory one engine instance stages raw frames in for GPU preprocessing: a pinned host buffer and
 * a device buffer for the frames' bytes, grown on demand (frames vary in size), and a pinned and a device
 * array of kernel descriptors, sized once for the largest batch. Created on the first
 * {@link TensorRtFrameEngine#inferFrames}, so instances that never see raw frames allocate nothing; freed by
 * {@link #close}. Not thread-safe: one instance, one thread at a time.
 */
final class FrameBuffers implements AutoCloseable {
  private final Pointer pinnedDescriptors = new Pointer();
  private final Pointer deviceDescriptors = new Pointer();
  private final Pointer pinnedFrames = new Pointer();
  private final Pointer deviceFrames = new Pointer();
  private final ByteBuffer hostDescriptors;
  private ByteBuffer hostFrames;
  private long frameCapacity;

  /** Allocates the descriptor arrays; on failure frees them and throws. The caller has set the CUDA device. */
  FrameBuffers(int maxFrames) throws EngineException {
    long bytes = (long) maxFrames * ImageDescriptor.BYTES;
    try {
      CudaCheck.RUNTIME.check("cudaMallocHost(descriptors, " + bytes + " bytes)",
          cudart.cudaMallocHost(pinnedDescriptors, bytes));
      CudaCheck.RUNTIME.check("cudaMalloc(descriptors, " + bytes + " bytes)",
          cudart.cudaMalloc(deviceDescriptors, bytes));
    } catch (EngineException e) {
      close();
      throw e;
    }
    hostDescriptors = view(pinnedDescriptors, bytes);
  }

  /**
   * Makes the frame buffers hold at least {@code bytes}, reallocating both when they are smaller. The
   * caller has set the CUDA device, and nothing queued may still use the old buffers (the engine
   * synchronizes its stream at the end of every batch).
   */
  void ensureFrameCapacity(long bytes) throws EngineException {
    if (bytes <= frameCapacity) {
      return;
    }
    long capacity = grownCapacity(frameCapacity, bytes);
    freeFrames();
    CudaCheck.RUNTIME.check("cudaMallocHost(frames, " + capacity + " bytes)",
        cudart.cudaMallocHost(pinnedFrames, capacity));
    CudaCheck.RUNTIME.check("cudaMalloc(frames, " + capacity + " bytes)", cudart.cudaMalloc(deviceFrames, capacity));
    hostFrames = view(pinnedFrames, capacity);
    frameCapacity = capacity;
  }

  /**
   * The capacity to grow to: at least {@code needed}, and double the current one so that a stream of
   * slowly growing batches reallocates a logarithmic number of times; never past one ByteBuffer's reach.
   */
  static long grownCapacity(long current, long needed) {
    if (needed > FrameBatchLayout.MAX_TOTAL_BYTES) {
      throw new IllegalArgumentException("cannot stage " + needed + " bytes in one buffer");
    }
    return Math.max(needed, Math.min(2 * current, FrameBatchLayout.MAX_TOTAL_BYTES));
  }

  private static ByteBuffer view(Pointer pinned, long bytes) {
    // Pinned pointers come back with capacity 0: give the view its size before Java touches it.
    ByteBuffer view = new BytePointer(pinned).capacity(bytes).asBuffer();
    if (view.capacity() != bytes) {
      throw new IllegalStateException("pinned view of " + view.capacity() + " bytes, expected " + bytes);
    }
    return view;
  }

  /** The pinned descriptor array, over its whole size. */
  ByteBuffer hostDescriptors() {
    return hostDescriptors.clear();
  }

  /** The pinned frame staging buffer, over its whole capacity; call {@link #ensureFrameCapacity} first. */
  ByteBuffer hostFrames() {
    return hostFrames.clear();
  }

  Pointer pinnedDescriptors() {
    return pinnedDescriptors;
  }

  Pointer deviceDescriptors() {
    return deviceDescriptors;
  }

  Pointer pinnedFrames() {
    return pinnedFrames;
  }

  Pointer deviceFrames() {
    return deviceFrames;
  }

  private void freeFrames() {
    if (!pinnedFrames.isNull()) {
      cudart.cudaFreeHost(pinnedFrames);
      pinnedFrames.setNull();
    }
    if (!deviceFrames.isNull()) {
      cudart.cudaFree(deviceFrames);
      deviceFrames.setNull();
    }
    hostFrames = null;
    frameCapacity = 0;
  }

  /** Frees whatever was allocated. Return codes are ignored: nothing useful can be done with them here. */
  @Override
  public void close() {
    freeFrames();
    if (!pinnedDescriptors.isNull()) {
      cudart.cudaFreeHost(pinnedDescriptors);
      pinnedDescriptors.setNull();
    }
    if (!deviceDescriptors.isNull()) {
      cudart.cudaFree(deviceDescriptors);
      deviceDescriptors.setNull();
    }
  }
}
