package io.mobiserve.server;

import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.server.kserve.KServeModel;
import java.util.List;
import java.util.Objects;

/**
 * What the RPC services answer with while a {@link ModelRuntime} is served: its pipeline, the request
 * checks for its limits, its ModelInfo, its engines' health and the outputs the Open Inference Protocol
 * front ends present. Thread-safe and immutable, except that {@link #info()} reads the engines' health at
 * each call.
 */
public final class ModelEndpoint {
  private final ClassificationPipeline pipeline;
  private final ModelInfo staticInfo;
  private final ServerLimits limits;
  private final EngineHealth health;
  private final BatchingConfig batching;
  private final List<String> kserveOutputs;

  private ModelEndpoint(ClassificationPipeline pipeline, ModelInfo staticInfo, ServerLimits limits,
      EngineHealth health, BatchingConfig batching, List<String> kserveOutputs) {
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.staticInfo = Objects.requireNonNull(staticInfo, "staticInfo");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.health = Objects.requireNonNull(health, "health");
    this.batching = Objects.requireNonNull(batching, "batching");
    this.kserveOutputs = KServeModel.presented(kserveOutputs);
  }

  /**
   * Serves {@code runtime}'s pipeline, describing it with its backend and the reason it was chosen; the
   * Open Inference Protocol presents every output ({@link KServeModel#OUTPUTS}).
   */
  public static ModelEndpoint of(ModelRuntime runtime, ServerLimits limits) {
    return new ModelEndpoint(
        runtime.pipeline(),
        ProtoMapping.modelInfo(runtime.model(), runtime.engineInfo(), runtime.maxBatch(),
            runtime.backend().reason(), runtime.health().fallback(), limits),
        limits,
        runtime.health(),
        runtime.batching(),
        KServeModel.OUTPUTS);
  }

  /**
   * The same endpoint, its Open Inference Protocol front ends (gRPC and HTTP) presenting only {@code outputs}
   * ({@code serve --kserve-outputs}): e.g. just "probabilities", for clients that take a model of one output
   * (Triton's image_client). ClassifyService is not affected.
   *
   * @throws IllegalArgumentException for no output, an unknown one or one named twice
   */
  public ModelEndpoint withKServeOutputs(List<String> outputs) {
    return new ModelEndpoint(pipeline, staticInfo, limits, health, batching, outputs);
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

  /** The outputs the Open Inference Protocol presents, in the order it presents them (all by default). */
  public List<String> kserveOutputs() {
    return kserveOutputs;
  }

  /** Checks requests against the limits and the model's classes. */
  public RequestParser parser() {
    return new RequestParser(limits, pipeline.model().classes());
  }
}
