package io.mobiserve.engine;

import java.util.OptionalInt;
import java.util.SortedSet;

/**
 * The batch sizes an engine instance is made for. Decided once, before any engine exists, from the
 * requested max batch, the preferred sizes and the model (a model exported with a fixed batch takes no
 * more than that); engines and the batcher are handed the result and only check it.
 *
 * @param max the most images in one batch
 * @param optimal the size the engine should be fastest at (TensorRT tunes its kernels for it): the
 *     largest preferred size, else {@code max}
 */
public record BatchSizes(int max, int optimal) {

  public BatchSizes {
    if (max < 1) {
      throw new IllegalArgumentException("max batch must be at least 1, not " + max);
    }
    if (optimal < 1 || optimal > max) {
      throw new IllegalArgumentException("the optimal batch must be from 1 to the max batch " + max + ", not " + optimal);
    }
  }

  /** Batches of up to {@code max}, tuned for {@code max}. */
  public static BatchSizes upTo(int max) {
    return new BatchSizes(max, max);
  }

  /**
   * The effective sizes: the requested max batch, lowered to the model's fixed batch when it has a smaller
   * one; tuned for the largest preferred size within it.
   *
   * @param requestedMax the max batch asked for (at least 1)
   * @param preferred preferred batch sizes; those above the effective max are ignored
   * @param fixedBatch the batch the model's input fixes, if any
   */
  public static BatchSizes decide(int requestedMax, SortedSet<Integer> preferred, OptionalInt fixedBatch) {
    int max = fixedBatch.isPresent() ? Math.min(requestedMax, fixedBatch.getAsInt()) : requestedMax;
    SortedSet<Integer> fitting = preferred.headSet(max + 1);
    return new BatchSizes(max, fitting.isEmpty() ? max : fitting.last());
  }
}
