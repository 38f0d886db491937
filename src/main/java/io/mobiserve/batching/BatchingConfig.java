package io.mobiserve.batching;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * How {@link DynamicBatcher} forms batches. Immutable; validated at construction, with messages that
 * name the bad value.
 *
 * @param maxBatch the most images in one engine batch; 1 turns batching off (each image runs alone)
 * @param preferredBatchSizes batch sizes sent at once when reached, without waiting for the delay (each
 *     from 1 to {@code maxBatch}; may be empty)
 * @param maxQueueDelayNanos how long the oldest queued image may wait for a batch to fill; 0 sends at once
 * @param maxQueuedImages the most images waiting at once; work beyond it is refused with {@link
 *     SchedulingException.Reason#QUEUE_FULL}
 * @param agingBoundNanos how long a {@link Priority#BULK} image may wait before it is treated as {@link
 *     Priority#LIVE}, so that live traffic never starves bulk work
 */
public record BatchingConfig(
    int maxBatch,
    SortedSet<Integer> preferredBatchSizes,
    long maxQueueDelayNanos,
    int maxQueuedImages,
    long agingBoundNanos) {

  /** A longer wait is a configuration mistake (seconds, not micros), and the bound keeps sums from overflowing. */
  static final long MAX_DELAY_NANOS = TimeUnit.MINUTES.toNanos(1);

  public BatchingConfig {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("max batch must be at least 1, not " + maxBatch);
    }
    if (preferredBatchSizes == null) {
      throw new IllegalArgumentException("preferred batch sizes must not be null (use an empty set)");
    }
    for (Integer size : preferredBatchSizes) {
      if (size == null || size < 1 || size > maxBatch) {
        throw new IllegalArgumentException(
            "preferred batch size " + size + " is outside 1..max batch " + maxBatch);
      }
    }
    preferredBatchSizes = Collections.unmodifiableSortedSet(new TreeSet<>(preferredBatchSizes));
    if (maxQueueDelayNanos < 0 || maxQueueDelayNanos > MAX_DELAY_NANOS) {
      throw new IllegalArgumentException(
          "max queue delay must be from 0 to 60 s, not " + maxQueueDelayNanos + " ns");
    }
    if (maxQueuedImages < 1) {
      throw new IllegalArgumentException("max queued images must be at least 1, not " + maxQueuedImages);
    }
    if (agingBoundNanos < 0 || agingBoundNanos > MAX_DELAY_NANOS) {
      throw new IllegalArgumentException("aging bound must be from 0 to 60 s, not " + agingBoundNanos + " ns");
    }
  }

  /**
   * Max batch 16, no preferred sizes, 1 ms max queue delay (what Triton users typically set), 1024
   * queued images, bulk work treated as live after 50 ms.
   */
  public static BatchingConfig defaults() {
    return new BatchingConfig(16, new TreeSet<>(), TimeUnit.MILLISECONDS.toNanos(1), 1024,
        TimeUnit.MILLISECONDS.toNanos(50));
  }

  public BatchingConfig withMaxBatch(int value) {
    return new BatchingConfig(value, preferredBatchSizes, maxQueueDelayNanos, maxQueuedImages, agingBoundNanos);
  }

  public BatchingConfig withPreferredBatchSizes(SortedSet<Integer> value) {
    return new BatchingConfig(maxBatch, value, maxQueueDelayNanos, maxQueuedImages, agingBoundNanos);
  }

  public BatchingConfig withMaxQueueDelayNanos(long value) {
    return new BatchingConfig(maxBatch, preferredBatchSizes, value, maxQueuedImages, agingBoundNanos);
  }

  public BatchingConfig withMaxQueuedImages(int value) {
    return new BatchingConfig(maxBatch, preferredBatchSizes, maxQueueDelayNanos, value, agingBoundNanos);
  }

  public BatchingConfig withAgingBoundNanos(long value) {
    return new BatchingConfig(maxBatch, preferredBatchSizes, maxQueueDelayNanos, maxQueuedImages, value);
  }
}
