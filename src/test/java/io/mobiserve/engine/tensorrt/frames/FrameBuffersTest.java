package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The growth rule of the frame staging buffers; the allocations themselves need a GPU. */
class FrameBuffersTest {

  @Test
  void grownCapacity_firstAllocation_isExactlyWhatIsNeeded() {
    assertThat(FrameBuffers.grownCapacity(0, 921_600)).isEqualTo(921_600);
  }

  @Test
  void grownCapacity_slightlyLargerBatch_doublesSoGrowthIsRare() {
    assertThat(FrameBuffers.grownCapacity(1_000, 1_001)).isEqualTo(2_000);
  }

  @Test
  void grownCapacity_muchLargerBatch_takesWhatIsNeeded() {
    assertThat(FrameBuffers.grownCapacity(1_000, 5_000)).isEqualTo(5_000);
  }

  @Test
  void grownCapacity_neverDoublesPastOneByteBuffer() {
    long max = FrameBatchLayout.MAX_TOTAL_BYTES;

    assertThat(FrameBuffers.grownCapacity(max / 2 + 10, max / 2 + 11)).isEqualTo(max);
    assertThatThrownBy(() -> FrameBuffers.grownCapacity(10, max + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
