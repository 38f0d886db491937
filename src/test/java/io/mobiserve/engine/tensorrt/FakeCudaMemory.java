package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * CUDA memory for tests without a GPU: host memory stands in for pinned memory (so views work), device
 * pointers are addresses nothing dereferences. Records every allocation and free, and can be told to fail.
 * Close it to free the host memory.
 */
public class FakeCudaMemory implements CudaBuffer.Memory, AutoCloseable {
  /** A device address that is never dereferenced. */
  private static final class DevicePointer extends Pointer {
    DevicePointer(long address) {
      this.address = address;
    }
  }

  public final List<String> log = new ArrayList<>();
  public EngineException failDevice;
  public EngineException failPinned;
  public RuntimeException failView;
  private final Map<Pointer, Long> held = new IdentityHashMap<>();
  private final List<BytePointer> hostMemory = new ArrayList<>();
  private long nextDevice = 0x7f00_0000_0000L;

  @Override
  public Pointer device(String what, long bytes) throws EngineException {
    if (failDevice != null) {
      throw failDevice;
    }
    log.add("device " + what + " " + bytes);
    Pointer p = new DevicePointer(nextDevice);
    nextDevice += (bytes + 255) / 256 * 256;
    held.put(p, bytes);
    return p;
  }

  @Override
  public Pointer pinned(String what, long bytes) throws EngineException {
    if (failPinned != null) {
      throw failPinned;
    }
    log.add("pinned " + what + " " + bytes);
    BytePointer memory = new BytePointer(bytes);
    hostMemory.add(memory);
    Pointer p = new Pointer(memory); // capacity 0, as cudaMallocHost returns it
    held.put(p, bytes);
    return p;
  }

  @Override
  public void freeDevice(Pointer p) {
    log.add("free device " + held.remove(p));
  }

  @Override
  public void freePinned(Pointer p) {
    log.add("free pinned " + held.remove(p));
  }

  @Override
  public ByteBuffer view(Pointer pinned, long bytes) {
    if (failView != null) {
      throw failView;
    }
    return CudaBuffer.Memory.super.view(pinned, bytes);
  }

  /** Bytes allocated and not freed, device and pinned together. */
  public long heldBytes() {
    return held.values().stream().mapToLong(Long::longValue).sum();
  }

  @Override
  public void close() {
    hostMemory.forEach(Pointer::close);
    hostMemory.clear();
  }
}
