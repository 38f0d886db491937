package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A device buffer and its pinned twin are allocated whole or not at all, and freed once. */
class CudaBufferTest {

  /** A device address that is never dereferenced. */
  private static final class FakeDevicePointer extends Pointer {
    FakeDevicePointer(long address) {
      this.address = address;
    }
  }

  /** Host memory stands in for pinned memory; every allocation and free is recorded. */
  private static class FakeMemory implements CudaBuffer.Memory {
    final List<String> log = new ArrayList<>();
    final List<BytePointer> hostMemory = new ArrayList<>();
    EngineException failDevice;
    EngineException failPinned;
    RuntimeException failView;

    @Override
    public Pointer device(String what, long bytes) throws EngineException {
      if (failDevice != null) {
        throw failDevice;
      }
      log.add("device " + what + " " + bytes);
      return new FakeDevicePointer(0x7f00_0000_0000L);
    }

    @Override
    public Pointer pinned(String what, long bytes) throws EngineException {
      if (failPinned != null) {
        throw failPinned;
      }
      log.add("pinned " + what + " " + bytes);
      BytePointer memory = new BytePointer(bytes);
      hostMemory.add(memory);
      return new Pointer(memory); // capacity 0, as cudaMallocHost returns it
    }

    @Override
    public void freeDevice(Pointer p) {
      log.add("free device");
    }

    @Override
    public void freePinned(Pointer p) {
      log.add("free pinned");
    }

    @Override
    public ByteBuffer view(Pointer pinned, long bytes) {
      if (failView != null) {
        throw failView;
      }
      return CudaBuffer.Memory.super.view(pinned, bytes);
    }
  }

  private final FakeMemory memory = new FakeMemory();

  @AfterEach
  void freeHostMemory() {
    memory.hostMemory.forEach(Pointer::close);
  }

  @Test
  void allocate_givesBothHalvesAndANativeOrderViewOfTheWholePinnedHalf() throws EngineException {
    try (CudaBuffer buffer = CudaBuffer.allocate(memory, "input", 64)) {
      ByteBuffer host = buffer.host();

      assertThat(host.capacity()).isEqualTo(64);
      assertThat(host.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(host.asFloatBuffer().capacity()).isEqualTo(16);
      assertThat(buffer.device().address()).isEqualTo(0x7f00_0000_0000L);
      assertThat(buffer.pinned().address()).isEqualTo(memory.hostMemory.get(0).address());
      host.putFloat(60, 1.5f);
      assertThat(memory.hostMemory.get(0).capacity(64).asBuffer().order(ByteOrder.nativeOrder()).getFloat(60))
          .as("the view writes the pinned memory itself").isEqualTo(1.5f);
    }
    assertThat(memory.log).containsExactly("device input 64", "pinned input 64", "free device", "free pinned");
  }

  @Test
  void close_isIdempotent() throws EngineException {
    CudaBuffer buffer = CudaBuffer.allocate(memory, "output", 8);
    buffer.close();
    buffer.close();

    assertThat(memory.log).containsExactly("device output 8", "pinned output 8", "free device", "free pinned");
  }

  @Test
  void failingPinnedAllocation_freesTheDeviceHalf() {
    memory.failPinned = new EngineException("cudaMallocHost(input, 64 bytes) failed: out of memory");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failPinned);
    assertThat(memory.log).containsExactly("device input 64", "free device");
  }

  @Test
  void failingView_freesBothHalves() {
    memory.failView = new IllegalStateException("pinned view of 0 bytes, expected 64");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failView);
    assertThat(memory.log).containsExactly("device input 64", "pinned input 64", "free device", "free pinned");
  }

  @Test
  void viewOverTwoGibibytes_isRefused_andFreesBothHalves() {
    // The real view, with nothing behind the pointer: it must refuse before touching memory.
    CudaBuffer.Memory huge = new FakeMemory() {
      @Override
      public Pointer pinned(String what, long bytes) {
        log.add("pinned " + what + " " + bytes);
        return new FakeDevicePointer(0x1000);
      }
    };

    assertThatThrownBy(() -> CudaBuffer.allocate(huge, "input", 3L << 30))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("over one buffer's 2 GiB");
    assertThat(((FakeMemory) huge).log).containsExactly("device input 3221225472", "pinned input 3221225472",
        "free device", "free pinned");
  }

  @Test
  void failingDeviceAllocation_leavesNothing() {
    memory.failDevice = new EngineException("cudaMalloc(input, 64 bytes) failed: out of memory");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failDevice);
    assertThat(memory.log).isEmpty();
  }
}
