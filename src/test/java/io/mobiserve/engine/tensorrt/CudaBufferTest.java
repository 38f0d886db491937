package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A device buffer and its pinned twin are allocated whole or not at all, and freed once. */
class CudaBufferTest {
  private final FakeCudaMemory memory = new FakeCudaMemory();

  @AfterEach
  void freeHostMemory() {
    memory.close();
  }

  @Test
  void allocate_givesBothHalvesAndANativeOrderViewOfTheWholePinnedHalf() throws EngineException {
    try (CudaBuffer buffer = CudaBuffer.allocate(memory, "input", 64)) {
      ByteBuffer host = buffer.host();

      assertThat(host.capacity()).isEqualTo(64);
      assertThat(host.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(host.asFloatBuffer().capacity()).isEqualTo(16);
      assertThat(buffer.device().address()).isEqualTo(0x7f00_0000_0000L);
      host.putFloat(60, 1.5f);
      assertThat(buffer.host().getFloat(60)).as("each view reads the pinned memory itself").isEqualTo(1.5f);
    }
    assertThat(memory.log).containsExactly("device input 64", "pinned input 64", "free device 64", "free pinned 64");
  }

  @Test
  void close_isIdempotent() throws EngineException {
    CudaBuffer buffer = CudaBuffer.allocate(memory, "output", 8);
    buffer.close();
    buffer.close();

    assertThat(memory.log).containsExactly("device output 8", "pinned output 8", "free device 8", "free pinned 8");
  }

  @Test
  void failingPinnedAllocation_freesTheDeviceHalf() {
    memory.failPinned = new EngineException("cudaMallocHost(input, 64 bytes) failed: out of memory");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failPinned);
    assertThat(memory.log).containsExactly("device input 64", "free device 64");
  }

  @Test
  void failingView_freesBothHalves() {
    memory.failView = new IllegalStateException("pinned view of 0 bytes, expected 64");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failView);
    assertThat(memory.log).containsExactly("device input 64", "pinned input 64", "free device 64", "free pinned 64");
    assertThat(memory.heldBytes()).isZero();
  }

  @Test
  void viewOverTwoGibibytes_isRefused_andFreesBothHalves() {
    // The real view, with nothing behind the pointer: it must refuse before touching memory.
    FakeCudaMemory huge = new FakeCudaMemory() {
      @Override
      public Pointer pinned(String what, long bytes) throws EngineException {
        return device(what + " (pinned)", bytes);
      }

      @Override
      public void freePinned(Pointer p) {
        freeDevice(p);
      }
    };

    assertThatThrownBy(() -> CudaBuffer.allocate(huge, "input", 3L << 30))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("over one buffer's 2 GiB");
    assertThat(huge.heldBytes()).isZero();
  }

  @Test
  void failingDeviceAllocation_leavesNothing() {
    memory.failDevice = new EngineException("cudaMalloc(input, 64 bytes) failed: out of memory");

    assertThatThrownBy(() -> CudaBuffer.allocate(memory, "input", 64)).isSameAs(memory.failDevice);
    assertThat(memory.log).isEmpty();
  }
}
