package io.mobiserve.batching;

/**
 * The model's output for one image and where its time went.
 *
 * @param logits the model's raw scores for the image
 * @param queueNanos from submission to the start of the engine batch it rode in
 * @param inferenceNanos the duration of that engine batch
 * @param batchSize the number of images in that engine batch
 */
public record InferenceResult(float[] logits, long queueNanos, long inferenceNanos, int batchSize) {}
