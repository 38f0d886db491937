package io.mobiserve.engine;

import io.mobiserve.model.ModelSpec;

/** Creates engine instances of one backend for a model. */
@FunctionalInterface
public interface EngineFactory {

  /** Creates one instance; each call returns a new, independent instance. */
  InferenceEngine create(ModelSpec model) throws EngineException;
}
