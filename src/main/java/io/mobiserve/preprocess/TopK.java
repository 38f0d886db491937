package io.mobiserve.preprocess;

import io.mobiserve.model.Labels;
import java.util.ArrayList;
import java.util.List;

/**
 * The k most probable classes of one image's logits: softmax, then a bounded selection, most probable
 * first, equal probabilities by lower index. Stateless and thread-safe.
 */
public final class TopK {

  private TopK() {}

  /**
   * @param logits one image's raw model outputs, one per class
   * @param k how many classes to return, 1 to {@code logits.length}
   * @param labels the class names, or {@link Labels#none()}
   * @throws IllegalArgumentException when k is out of range, labels do not match the class count, or a
   *     logit is not finite
   */
  public static List<ClassScore> of(float[] logits, int k, Labels labels) {
    int classes = logits.length;
    if (k < 1 || k > classes) {
      throw new IllegalArgumentException("k must be between 1 and the number of classes (" + classes + "), not " + k);
    }
    if (labels.isPresent() && labels.size() != classes) {
      throw new IllegalArgumentException("there are " + labels.size() + " labels for " + classes + " classes");
    }
    float[] probabilities = Softmax.probabilities(logits);
    int[] best = largest(probabilities, k);
    List<ClassScore> result = new ArrayList<>(k);
    for (int i = 0; i < k; i++) {
      result.add(new ClassScore(best[i], labels.name(best[i]), probabilities[best[i]]));
    }
    return List.copyOf(result);
  }

  /**
   * The indices of the {@code k} largest of {@code values}, largest first, equal values by lower index.
   *
   * @param k from 1 to {@code values.length}
   */
  public static int[] largest(float[] values, int k) {
    if (k < 1 || k > values.length) {
      throw new IllegalArgumentException("k must be between 1 and " + values.length + ", not " + k);
    }
    // Insertion into a sorted array of k: O(n·k), which for the usual k of 1-10 beats sorting n indices.
    int[] best = new int[k];
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      // Indices arrive in increasing order, so "strictly greater" keeps ties in index order.
      if (count == k && !(v > values[best[k - 1]])) {
        continue;
      }
      int at = count < k ? count++ : k - 1;
      while (at > 0 && v > values[best[at - 1]]) {
        best[at] = best[at - 1];
        at--;
      }
      best[at] = i;
    }
    return best;
  }
}
