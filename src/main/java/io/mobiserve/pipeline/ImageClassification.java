package io.mobiserve.pipeline;

import io.mobiserve.preprocess.ClassScore;
import java.util.List;

/**
 * The result for one image: its most probable classes, most probable first, and where its time went.
 *
 * @param classes the top-k classes
 * @param preprocessNanos decoding, resizing and normalizing (or validating a tensor)
 * @param queueNanos waiting for an engine
 * @param inferenceNanos the engine batch the image rode in
 * @param batchSize the number of images in that engine batch
 */
public record ImageClassification(
    List<ClassScore> classes, long preprocessNanos, long queueNanos, long inferenceNanos, int batchSize) {

  public ImageClassification {
    classes = List.copyOf(classes);
  }
}
