package io.mobiserve.engine;

import java.nio.FloatBuffer;

/**
 * Runs the model on a batch of preprocessed images: "take this NCHW batch, give logits".
 *
 * <p>The engine owns the memory a batch is assembled in ({@link #input()}): a direct, native-order buffer
 * that the engine reads in place (ONNX Runtime wraps it as its input tensor; TensorRT copies it to the GPU
 * from pinned memory). The caller copies each image there once and calls {@link #run}; no other copy
 * stands between a request and the engine.
 *
 * <p>One instance runs one batch at a time: {@link #input()} and {@link #run} are for one thread at a time
 * (run several instances for parallelism). {@link #info()} is safe from any thread.
 */
public interface InferenceEngine extends AutoCloseable {

  /**
   * Where the next batch goes: room for {@link BatchSizes#max()} images of C × H × W floats, image
   * {@code i} at float index {@code i × C × H × W}. The same buffer for the life of the instance. Write it
   * with absolute puts: the engine ignores its position and limit.
   */
  FloatBuffer input();

  /**
   * Runs the first {@code batchSize} images of {@link #input()}.
   *
   * @param batchSize from 1 to the {@link BatchSizes#max()} the instance was created with
   * @return the logits, {@code batchSize × classes}
   * @throws EngineException when the engine fails; the input was valid
   * @throws IllegalArgumentException when {@code batchSize} is out of range (a caller's bug)
   */
  Logits run(int batchSize) throws EngineException;

  /** What this engine is. */
  EngineInfo info();

  /** Frees the engine's native resources. */
  @Override
  void close();
}
