package io.mobiserve.server;

import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.pipeline.ClassificationPipeline;

/**
 * A model ready to serve: its pipeline, its request checks and its description.
 *
 * @param pipeline classifies images
 * @param info what GetModelInfo answers
 * @param limits the request limits
 */
public record ServingModel(ClassificationPipeline pipeline, ModelInfo info, ServerLimits limits) {

  /** Serves {@code runtime}'s pipeline, describing it with the backend and the reason it was chosen. */
  public static ServingModel of(ModelRuntime runtime, String backendReason, ServerLimits limits) {
    return new ServingModel(
        runtime.pipeline(),
        ProtoMapping.modelInfo(runtime.model(), runtime.engineInfo(), runtime.maxBatch(), backendReason, limits),
        limits);
  }

  RequestParser parser() {
    return new RequestParser(limits, pipeline.model().classes());
  }
}
