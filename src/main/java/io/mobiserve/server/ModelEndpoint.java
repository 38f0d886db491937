package io.mobiserve.server;

import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.ModelRuntime;
import java.util.Objects;

/**
 * What the RPC services answer with while a {@link ModelRuntime} is served: its pipeline, the request
 * checks for its limits, its ModelInfo and its engines' health. Thread-safe and immutable, except that
 * {@link #info()} reads the engines' health at each call.
 */
public final class ModelEndpoint {
  private final ClassificationPipeline pipeline;
  private final ModelInfo staticInfo;
  private final ServerLimits limits;
  private final EngineHealth health;
  private final BatchingConfig batching;

  private ModelEndpoint(ClassificationPipeline pipeline, ModelInfo staticInfo, ServerLimits limits,
      EngineHealth health, BatchingConfig batching) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.staticInfo = Objects.requireNonNull(staticInfo, "staticInfo");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.health = Objects.requireNonNull(health, "health");
    this.batching = Objects.requireNonNull(batching, "batching");
  }

  /** Serves {@code runtime}'s pipeline, describing it with its backend and the reason it was chosen. */
  public static ModelEndpoint of(ModelRuntime runtime, ServerLimits limits) {
    return new ModelEndpoint(
        runtime.pipeline(),
        ProtoMapping.modelInfo(runtime.model(), runtime.engineInfo(), runtime.maxBatch(),
            runtime.backend().reason(), runtime.health().fallback(), limits),
        limits,
        runtime.health(),
        runtime.batching());
  }

  /** Classifies images. */
  public ClassificationPipeline pipeline() {
    return pipeline;
  }

  /** What GetModelInfo answers now: the model, and whether the engines run on their fallback right now. */
  public ModelInfo info() {
    if (!health.degraded()) {
      return staticInfo;
    }
    return staticInfo.toBuilder().setDegraded(true).setDegradedReason(health.degradedReason()).build();
  }

  /** The request limits. */
  public ServerLimits limits() {
    return limits;
  }

  /** The engines' health, for the health service. */
  public EngineHealth health() {
    return health;
  }

  /** How the batcher merges images into engine batches (max batch, preferred sizes, max queue delay). */
  public BatchingConfig batching() {
    return batching;
  }

  /** Checks requests against the limits and the model's classes. */
  public RequestParser parser() {
    return new RequestParser(limits, pipeline.model().classes());
  }
}
