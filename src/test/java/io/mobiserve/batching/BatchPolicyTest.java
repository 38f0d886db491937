package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.batching.BatchPolicy.Decision;
import io.mobiserve.batching.BatchPolicy.QueueState;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The batch formation rules, from plain values: no threads, no clock. */
class BatchPolicyTest {
  private static final long T0 = 5_000_000L;
  private static final long DELAY = 1_000_000L;
  private static final long NONE = QueueState.NO_DEADLINE;

  private static BatchPolicy policy(int maxBatch, long delay, Integer... preferred) {
    return new BatchPolicy(BatchingConfig.defaults()
        .withMaxBatch(maxBatch)
        .withPreferredBatchSizes(new TreeSet<>(List.of(preferred)))
        .withMaxQueueDelayNanos(delay));
  }

  private static QueueState queued(int images) {
    return new QueueState(images, T0, NONE);
  }

  @Test
  void decide_isIdleWhenNothingIsQueued() {
    assertThat(policy(16, DELAY).decide(QueueState.EMPTY, T0)).isInstanceOf(Decision.Idle.class);
  }

  @Test
  void decide_sendsAFullBatchAtOnceWhenMaxBatchImagesAreQueued() {
    assertThat(policy(16, DELAY).decide(queued(16), T0)).isEqualTo(new Decision.SendNow(16));
  }

  @Test
  void decide_sendsNoMoreThanMaxBatchWhenMoreAreQueued() {
    assertThat(policy(16, DELAY).decide(queued(100), T0)).isEqualTo(new Decision.SendNow(16));
  }

  @Test
  void decide_waitsUntilTheOldestImageHasWaitedTheDelay() {
    assertThat(policy(16, DELAY).decide(queued(5), T0 + 300)).isEqualTo(new Decision.WaitUntil(T0 + DELAY));
  }

  @Test
  void decide_sendsEverythingQueuedOnceTheOldestImageHasWaitedTheDelay() {
    assertThat(policy(16, DELAY).decide(queued(5), T0 + DELAY)).isEqualTo(new Decision.SendNow(5));
    assertThat(policy(16, DELAY).decide(queued(5), T0 + 10 * DELAY)).isEqualTo(new Decision.SendNow(5));
  }

  @Test
  void decide_sendsAtOnceWhenTheDelayIsZero() {
    assertThat(policy(16, 0).decide(queued(1), T0)).isEqualTo(new Decision.SendNow(1));
  }

  @Test
  void decide_withMaxBatchOneSendsEachImageAlone() {
    assertThat(policy(1, DELAY).decide(queued(1), T0)).isEqualTo(new Decision.SendNow(1));
    assertThat(policy(1, DELAY).decide(queued(7), T0)).isEqualTo(new Decision.SendNow(1));
  }

  @Test
  void decide_sendsAtPreferredSizeWhenNothingElseWaits() {
    assertThat(policy(16, DELAY, 4, 8).decide(queued(8), T0)).isEqualTo(new Decision.SendNow(8));
  }

  @Test
  void decide_sendsTheLargestPreferredSizeNotAboveWhatIsQueued() {
    assertThat(policy(16, DELAY, 4, 8).decide(queued(6), T0)).isEqualTo(new Decision.SendNow(4));
    assertThat(policy(16, DELAY, 4, 8).decide(queued(15), T0)).isEqualTo(new Decision.SendNow(8));
  }

  @Test
  void decide_waitsBelowTheSmallestPreferredSize() {
    assertThat(policy(16, DELAY, 4, 8).decide(queued(3), T0)).isEqualTo(new Decision.WaitUntil(T0 + DELAY));
  }

  @Test
  void decide_sendsEverythingRatherThanAPreferredSizeOnceTheDelayHasPassed() {
    assertThat(policy(16, DELAY, 4).decide(queued(6), T0 + DELAY)).isEqualTo(new Decision.SendNow(6));
  }

  @Test
  void decide_wakesAtTheEarliestDeadlineWhenItComesBeforeTheDelay() {
    QueueState state = new QueueState(3, T0, T0 + 200);
    assertThat(policy(16, DELAY).decide(state, T0 + 100)).isEqualTo(new Decision.WaitUntil(T0 + 200));
  }

  @Test
  void decide_wakesAtTheDelayWhenTheDeadlineIsLater() {
    QueueState state = new QueueState(3, T0, T0 + 5 * DELAY);
    assertThat(policy(16, DELAY).decide(state, T0)).isEqualTo(new Decision.WaitUntil(T0 + DELAY));
  }

  @Test
  void decide_handlesAClockNearOverflow() {
    long oldest = Long.MAX_VALUE - 10; // nanoTime may wrap; only differences are meaningful
    QueueState state = new QueueState(2, oldest, NONE);
    assertThat(policy(16, DELAY).decide(state, oldest + 5)).isEqualTo(new Decision.WaitUntil(oldest + DELAY));
    assertThat(policy(16, DELAY).decide(state, oldest + DELAY)).isEqualTo(new Decision.SendNow(2));
  }

  /**
   * Every combination of a small domain against the specification written out plainly: max batch 1..6,
   * every set of preferred sizes, 0..8 queued images, before/at/after the delay, with and without an
   * earlier deadline.
   */
  @Test
  void decide_followsTheSpecificationOverEveryCombinationOfASmallDomain() {
    int checked = 0;
    for (int maxBatch = 1; maxBatch <= 6; maxBatch++) {
      for (SortedSet<Integer> preferred : subsetsOf(maxBatch)) {
        for (long delay : new long[] {0, DELAY}) {
          BatchPolicy policy = new BatchPolicy(BatchingConfig.defaults().withMaxBatch(maxBatch)
              .withPreferredBatchSizes(preferred).withMaxQueueDelayNanos(delay));
          for (int images = 0; images <= 8; images++) {
            for (long waited : new long[] {0, DELAY / 2, DELAY - 1, DELAY, 3 * DELAY}) {
              for (long deadline : new long[] {NONE, T0 + DELAY / 4 * 3, T0 + 2 * DELAY}) {
                QueueState state = new QueueState(images, T0, deadline);
                Decision actual = policy.decide(state, T0 + waited);
                assertThat(actual)
                    .as("max %d preferred %s delay %d queued %d waited %d deadline %d",
                        maxBatch, preferred, delay, images, waited, deadline)
                    .isEqualTo(specified(maxBatch, preferred, delay, images, waited, deadline));
                checked++;
              }
            }
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(10_000);
  }

  private static Decision specified(
      int maxBatch, SortedSet<Integer> preferred, long delay, int images, long waited, long deadline) {
    if (images == 0) {
      return new Decision.Idle();
    }
    if (images >= maxBatch) {
      return new Decision.SendNow(maxBatch);
    }
    if (waited >= delay) {
      return new Decision.SendNow(images);
    }
    int largestPreferred = 0;
    for (int size : preferred) {
      if (size <= images) {
        largestPreferred = size;
      }
    }
    if (largestPreferred > 0) {
      return new Decision.SendNow(largestPreferred);
    }
    return new Decision.WaitUntil(Math.min(T0 + delay, deadline));
  }

  private static List<SortedSet<Integer>> subsetsOf(int maxBatch) {
    List<SortedSet<Integer>> subsets = new ArrayList<>();
    for (int mask = 0; mask < 1 << maxBatch; mask++) {
      SortedSet<Integer> subset = new TreeSet<>();
      for (int size = 1; size <= maxBatch; size++) {
        if ((mask & 1 << (size - 1)) != 0) {
          subset.add(size);
        }
      }
      subsets.add(subset);
    }
    return subsets;
  }
}
