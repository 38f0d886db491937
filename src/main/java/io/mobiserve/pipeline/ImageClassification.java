package io.mobiserve.pipeline;

import io.mobiserve.preprocess.ClassScore;
import java.util.List;

/**
 * The result for one image: its most probable classes, most probable first, the model's raw scores, and
 * where its time went.
 *
 * @param classes the top-k classes
 * @param logits the model's raw output for the image, one value per class (shared: do not modify)
 * @param preprocessNanos decoding, resizing and normalizing (or validating a tensor)
 * @param queueNanos waiting for an engine
 * @param inferenceNanos the engine batch the image rode in
 * @param batchSize the number of images in that engine batch
 */
public record ImageClassification(
    List<ClassScore> classes, float[] logits, long preprocessNanos, long queueNanos, long inferenceNanos,
    int batchSize) {

  public ImageClassification {
    classes = List.copyOf(classes);
  }
}
