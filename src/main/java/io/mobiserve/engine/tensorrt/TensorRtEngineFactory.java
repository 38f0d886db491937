package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.model.ModelSpec;
import java.util.Objects;

/**
 * Creates TensorRT engine instances: builds (or loads from the engine cache) one serialized engine per
 * model, then one execution context, CUDA stream and set of buffers per instance.
 */
public final class TensorRtEngineFactory implements EngineFactory {
  private final TensorRtOptions options;

  public TensorRtEngineFactory(TensorRtOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  public TensorRtOptions options() {
    return options;
  }

  @Override
  public InferenceEngine create(ModelSpec model) throws EngineException {
    throw new EngineException("TensorRT engine not built yet");
  }
}
