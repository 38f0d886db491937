package io.mobiserve.runtime;

import java.util.function.IntSupplier;

/** What a running model holds now, read at any time from any thread (a metrics scrape reads it). */
public interface RuntimeGauges {

  /** Images waiting for an engine. */
  int queuedImages();

  /** Bytes reserved from the memory budget by calls in progress. */
  long memoryBudgetUsedBytes();

  /** The memory budget's limit, in bytes. */
  long memoryBudgetLimitBytes();

  /** Gauges of a queue alone, with an unlimited, unused budget: for tests of the metrics. */
  static RuntimeGauges ofQueue(IntSupplier queuedImages) {
    return new RuntimeGauges() {
      @Override
      public int queuedImages() {
        return queuedImages.getAsInt();
      }

      @Override
      public long memoryBudgetUsedBytes() {
        return 0;
      }

      @Override
      public long memoryBudgetLimitBytes() {
        return Long.MAX_VALUE;
      }
    };
  }
}
