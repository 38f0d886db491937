package io.mobiserve.engine;

import java.nio.FloatBuffer;

/**
 * Runs the model on a batch of preprocessed images: "take this NCHW batch, give logits".
 *
 * <p>One instance runs one batch at a time: callers must not call {@link #infer} concurrently on the
 * same instance (run several instances for parallelism). {@link #info()} is safe from any thread.
 */
public interface InferenceEngine extends AutoCloseable {

  /**
   * Runs one batch.
   *
   * @param input {@code batchSize × C × H × W} float32 values from its position to its limit
   * @param batchSize the number of images in {@code input}, from 1 to {@link EngineInfo#maxBatch()}
   * @return the logits, {@code batchSize × classes}
   * @throws EngineException when the engine fails; the input was valid
   */
  Logits infer(FloatBuffer input, int batchSize) throws EngineException;

  /** What this engine is and what it accepts. */
  EngineInfo info();

  /** Frees the engine's native resources. */
  @Override
  void close();
}
