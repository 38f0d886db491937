package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.tensorrt.FakeCudaMemory;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Frame staging is capped and shrinks after a quiet period: the capacity rule with a fake clock, and the
 * buffers it leads to with fake CUDA memory.
 */
class FrameStagingTest {
  private static final long MB = 1L << 20;
  private static final Duration PERIOD = Duration.ofSeconds(60);
  private static final FrameStaging.Limits LIMITS = new FrameStaging.Limits(256 * MB, PERIOD);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final FrameStaging.Capacity capacity = new FrameStaging.Capacity(LIMITS);
  private final FakeCudaMemory memory = new FakeCudaMemory();

  @AfterEach
  void freeHostMemory() {
    memory.close();
  }

  private void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  private long forBatch(long current, long needed) {
    return capacity.forBatch(current, needed, now.get());
  }

  @Test
  void firstBatch_getsExactlyWhatItNeeds() {
    assertThat(forBatch(0, 921_600)).isEqualTo(921_600);
  }

  @Test
  void slightlyLargerBatch_doublesSoGrowthIsRare_butNeverPastTheLimit() {
    forBatch(0, 10 * MB);

    assertThat(forBatch(10 * MB, 11 * MB)).isEqualTo(20 * MB);
    assertThat(forBatch(200 * MB, 201 * MB)).isEqualTo(256 * MB);
  }

  @Test
  void muchLargerBatch_takesWhatItNeeds() {
    forBatch(0, MB);

    assertThat(forBatch(MB, 5 * MB)).isEqualTo(5 * MB);
  }

  @Test
  void batchOverTheLimit_isRefused() {
    assertThatThrownBy(() -> forBatch(0, 256 * MB + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("over the frame staging limit of " + 256 * MB);
  }

  @Test
  void afterAQuietPeriodOfSmallBatches_shrinksToWhatThePeriodNeeded() {
    forBatch(0, 200 * MB); // a burst of 4K frames
    advance(Duration.ofSeconds(1));
    assertThat(forBatch(200 * MB, 6 * MB)).as("within the period").isEqualTo(200 * MB);
    advance(Duration.ofSeconds(30));
    assertThat(forBatch(200 * MB, 8 * MB)).isEqualTo(200 * MB);

    advance(Duration.ofSeconds(30)); // 61 s since the burst
    assertThat(forBatch(200 * MB, 6 * MB)).as("the period's largest need").isEqualTo(8 * MB);
  }

  @Test
  void aPeriodThatNeededMoreThanHalf_keepsTheBuffer() {
    forBatch(0, 100 * MB);
    advance(Duration.ofSeconds(30));
    forBatch(100 * MB, 60 * MB);
    advance(Duration.ofSeconds(31));

    assertThat(forBatch(100 * MB, 10 * MB)).isEqualTo(100 * MB);
  }

  @Test
  void theNextPeriodStartsAfterAShrink_orAGrowth() {
    forBatch(0, 100 * MB);
    advance(PERIOD);
    assertThat(forBatch(100 * MB, 10 * MB)).isEqualTo(10 * MB);
    advance(Duration.ofSeconds(59));
    assertThat(forBatch(10 * MB, 2 * MB)).as("a new period began with the shrink").isEqualTo(10 * MB);
    assertThat(forBatch(10 * MB, 30 * MB)).isEqualTo(30 * MB);
    advance(Duration.ofSeconds(59));
    assertThat(forBatch(30 * MB, 2 * MB)).as("and with the growth").isEqualTo(30 * MB);
  }

  @Test
  void idle_onlyOnceAWholePeriodPassedWithoutABatch() {
    assertThat(capacity.idle(now.get())).as("nothing staged yet").isFalse();
    forBatch(0, MB);
    advance(Duration.ofSeconds(59));
    assertThat(capacity.idle(now.get())).isFalse();
    advance(Duration.ofSeconds(1));
    assertThat(capacity.idle(now.get())).isTrue();
  }

  @Test
  void staging_growsFreeingTheOldBufferFirst_shrinks_andReleasesWhenIdle() throws EngineException {
    FrameStaging staging = new FrameStaging(memory, 4, LIMITS, now::get);

    staging.prepare(10 * MB);
    staging.prepare(11 * MB);
    assertThat(staging.frameCapacity()).isEqualTo(20 * MB);
    assertThat(memory.heldBytes()).as("one frame buffer (pinned + device) and the descriptors")
        .isEqualTo(2 * 20 * MB + 2 * 4 * ImageDescriptor.BYTES);
    assertThat(memory.log).containsSubsequence("device frames " + 10 * MB, "free device " + 10 * MB,
        "device frames " + 20 * MB);

    advance(PERIOD);
    staging.prepare(MB);
    assertThat(staging.frameCapacity()).isEqualTo(MB);

    assertThat(staging.releaseIfIdle()).isFalse();
    advance(PERIOD);
    assertThat(staging.releaseIfIdle()).isTrue();
    assertThat(staging.frameCapacity()).isZero();
    assertThat(memory.heldBytes()).isEqualTo(2 * 4 * ImageDescriptor.BYTES);

    staging.prepare(3 * MB);
    assertThat(staging.frameCapacity()).as("after a release, the next batch starts afresh").isEqualTo(3 * MB);
    staging.close();
    assertThat(memory.heldBytes()).isZero();
  }

  @Test
  void failedGrowth_leavesNoFrameBuffer_andTheNextBatchTriesAgain() throws EngineException {
    FrameStaging staging = new FrameStaging(memory, 2, LIMITS, now::get);
    staging.prepare(MB);
    memory.failDevice = new EngineException("cudaMalloc(frames) failed: out of memory");

    assertThatThrownBy(() -> staging.prepare(8 * MB)).isSameAs(memory.failDevice);
    assertThat(staging.frameCapacity()).isZero();

    memory.failDevice = null;
    staging.prepare(8 * MB);
    assertThat(staging.frameCapacity()).isEqualTo(8 * MB);
    staging.close();
    assertThat(memory.heldBytes()).isZero();
  }

  @Test
  void limits_refuseNonsense() {
    assertThatThrownBy(() -> new FrameStaging.Limits(0, PERIOD)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FrameStaging.Limits(1L << 32, PERIOD)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FrameStaging.Limits(MB, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
