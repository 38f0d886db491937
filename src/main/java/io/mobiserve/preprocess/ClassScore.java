package io.mobiserve.preprocess;

import java.util.Objects;

/**
 * One class of a classification result.
 *
 * @param index the class's index in the model's output
 * @param label its name, or the empty string when the model has no labels
 * @param probability its softmax probability, in [0, 1]
 */
public record ClassScore(int index, String label, float probability) {

  public ClassScore {
    Objects.requireNonNull(label, "label");
  }
}
