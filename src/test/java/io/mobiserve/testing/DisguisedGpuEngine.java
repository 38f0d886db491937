package io.mobiserve.testing;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import java.nio.FloatBuffer;
import java.util.function.Supplier;

/**
 * A stand-in for the TensorRT engine in end-to-end tests: ONNX Runtime in disguise, with real logits while
 * it works, and whatever failure {@code failure} supplies (a CUDA error) while that is not null.
 */
public final class DisguisedGpuEngine implements InferenceEngine {
  private final OrtEngine engine;
  private final Supplier<EngineException> failure;

  /**
   * @param failure the exception the next batch throws, or null while the "GPU" works; asked at every batch
   */
  public DisguisedGpuEngine(OrtEngine engine, Supplier<EngineException> failure) {
    this.engine = engine;
    this.failure = failure;
  }

  @Override
  public FloatBuffer input() {
    return engine.input();
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    EngineException failing = failure.get();
    if (failing != null) {
      throw failing;
    }
    return engine.run(batchSize);
  }

  @Override
  public EngineInfo info() {
    return new EngineInfo("tensorrt", "fp16");
  }

  @Override
  public void close() {
    engine.close();
  }
}
