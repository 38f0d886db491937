package io.mobiserve.engine;

import io.mobiserve.model.ModelSpec;

/** Creates engine instances of one backend for a model. */
@FunctionalInterface
public interface EngineFactory {

  /**
   * Creates one instance; each call returns a new, independent instance.
   *
   * @param batches the batch sizes decided for this model; an engine that cannot run them (a model whose
   *     fixed batch is smaller than {@code batches.max()}) throws IllegalArgumentException
   */
  InferenceEngine create(ModelSpec model, BatchSizes batches) throws EngineException;
}
