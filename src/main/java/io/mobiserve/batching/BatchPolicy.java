package io.mobiserve.batching;

import java.util.SortedSet;

/**
 * Decides when to send a batch and how large, from plain values: no threads, no clock, no queue. The
 * batcher thread asks it each time an engine instance is free, so that under load (all instances busy)
 * the queue keeps filling and batches leave full.
 *
 * <p>Rules, in order (Triton's dynamic batcher semantics):
 * <ol>
 *   <li>nothing queued: {@link Decision.Idle};
 *   <li>max batch images queued: send max batch;
 *   <li>the oldest image has waited the max queue delay: send everything queued (below max batch);
 *   <li>a preferred size fits in what is queued: send the largest such size (waiting could only reach a
 *       larger preferred size by making the oldest image wait longer);
 *   <li>otherwise wait until the oldest image's delay runs out, or until the earliest deadline if that
 *       comes first, so that an expired image is answered on time rather than at the next batch.
 * </ol>
 * Immutable and thread-safe.
 */
final class BatchPolicy {
  private final int maxBatch;
  private final SortedSet<Integer> preferredSizes;
  private final long maxQueueDelayNanos;

  BatchPolicy(BatchingConfig config) {
    this.maxBatch = config.maxBatch();
    this.preferredSizes = config.preferredBatchSizes();
    this.maxQueueDelayNanos = config.maxQueueDelayNanos();
  }

  /**
   * What is queued, as the policy sees it.
   *
   * @param earliestDeadlineNanos when the first queued work stops being worth computing: its deadline,
   *     less the time a batch takes
   */
  record QueueState(int images, long oldestEnqueuedNanos, long earliestDeadlineNanos) {
    /** {@link #earliestDeadlineNanos} when no queued work has a deadline. */
    static final long NO_DEADLINE = Long.MAX_VALUE;

    static final QueueState EMPTY = new QueueState(0, 0, NO_DEADLINE);
  }

  /** What the batcher thread should do next. */
  sealed interface Decision {
    /** Form a batch of {@code images} images now. */
    record SendNow(int images) implements Decision {}

    /** Nothing to send before {@code nanos} (unless more work arrives). */
    record WaitUntil(long nanos) implements Decision {}

    /** Nothing queued: wait for work. */
    record Idle() implements Decision {}
  }

  private static final Decision IDLE = new Decision.Idle();

  Decision decide(QueueState queue, long nowNanos) {
    int images = queue.images();
    if (images == 0) {
      return IDLE;
    }
    if (images >= maxBatch) {
      return new Decision.SendNow(maxBatch);
    }
    long delayEnds = queue.oldestEnqueuedNanos() + maxQueueDelayNanos;
    if (nowNanos - delayEnds >= 0) {
      return new Decision.SendNow(images);
    }
    if (!preferredSizes.isEmpty() && preferredSizes.first() <= images) {
      return new Decision.SendNow(preferredSizes.headSet(images + 1).last());
    }
    long deadline = queue.earliestDeadlineNanos();
    if (deadline != QueueState.NO_DEADLINE && deadline - delayEnds < 0) {
      return new Decision.WaitUntil(deadline);
    }
    return new Decision.WaitUntil(delayEnds);
  }
}
