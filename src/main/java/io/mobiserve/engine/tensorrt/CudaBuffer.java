package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A device buffer and its pinned host twin, of the same size: what an engine instance copies through.
 * Pinned, so that the copies are true asynchronous DMA on the instance's stream. Allocated whole or not at
 * all: a failure part-way (the second allocation, or making the host view) frees what was allocated before
 * it throws. Freed by {@link #close}. Not thread-safe: one instance, one thread at a time.
 */
public final class CudaBuffer implements AutoCloseable {
  /** Allocates with the CUDA runtime; the caller has set the CUDA device. */
  public static final Memory CUDA = new Memory() {
    @Override
    public Pointer device(String what, long bytes) throws EngineException {
      Pointer p = new Pointer();
      CudaCheck.RUNTIME.check("cudaMalloc(" + what + ", " + bytes + " bytes)", cudart.cudaMalloc(p, bytes));
      return p;
    }

    @Override
    public Pointer pinned(String what, long bytes) throws EngineException {
      Pointer p = new Pointer();
      CudaCheck.RUNTIME.check("cudaMallocHost(" + what + ", " + bytes + " bytes)", cudart.cudaMallocHost(p, bytes));
      return p;
    }

    @Override
    public void freeDevice(Pointer p) {
      cudart.cudaFree(p);
    }

    @Override
    public void freePinned(Pointer p) {
      cudart.cudaFreeHost(p);
    }
  };

  /** Where device and pinned memory come from: {@link #CUDA}, or a fake in tests. */
  public interface Memory {
    Pointer device(String what, long bytes) throws EngineException;

    Pointer pinned(String what, long bytes) throws EngineException;

    /** Return codes are ignored: nothing useful can be done with them while freeing. */
    void freeDevice(Pointer p);

    void freePinned(Pointer p);

    /**
     * A byte buffer over {@code bytes} of pinned memory. Pinned pointers come back with capacity 0: the view
     * gets its size before Java touches it.
     */
    default ByteBuffer view(Pointer pinned, long bytes) {
      if (bytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("a host view of " + bytes + " bytes is over one buffer's 2 GiB");
      }
      ByteBuffer view = new BytePointer(pinned).capacity(bytes).asBuffer();
      if (view.capacity() != bytes) {
        throw new IllegalStateException("pinned view of " + view.capacity() + " bytes, expected " + bytes);
      }
      return view;
    }
  }

  private final Memory memory;
  private final long bytes;
  private Pointer device;
  private Pointer pinned;
  private final ByteBuffer host;

  private CudaBuffer(Memory memory, String what, long bytes) throws EngineException {
    this.memory = Objects.requireNonNull(memory, "memory");
    this.bytes = bytes;
    try {
      device = memory.device(what, bytes);
      pinned = memory.pinned(what, bytes);
      host = memory.view(pinned, bytes).order(ByteOrder.nativeOrder());
    } catch (EngineException | RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * {@code bytes} of device memory and as much pinned host memory.
   *
   * @param what what the buffer is for, e.g. "input", for the messages
   * @throws EngineException when an allocation fails; nothing stays allocated
   */
  public static CudaBuffer allocate(Memory memory, String what, long bytes) throws EngineException {
    if (bytes < 1) {
      throw new IllegalArgumentException(what + ": a buffer needs at least one byte, not " + bytes);
    }
    return new CudaBuffer(memory, what, bytes);
  }

  public long bytes() {
    return bytes;
  }

  public Pointer device() {
    return device;
  }

  public Pointer pinned() {
    return pinned;
  }

  /** The pinned memory as a native-order buffer over its whole size; a new view, so positions are its own. */
  public ByteBuffer host() {
    return host.duplicate().order(ByteOrder.nativeOrder());
  }

  /** Frees both halves, whatever was allocated. Idempotent. */
  @Override
  public void close() {
    if (device != null && !device.isNull()) {
      memory.freeDevice(device);
    }
    device = null;
    if (pinned != null && !pinned.isNull()) {
      memory.freePinned(pinned);
    }
    pinned = null;
  }
}
