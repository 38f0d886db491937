package io.mobiserve.server.kserve;

import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.inference.InferStatistics;
import io.mobiserve.api.inference.ModelStatistics;
import io.mobiserve.api.inference.StatisticDuration;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.metrics.InferenceTotals;
import io.mobiserve.metrics.ServerMetrics;
import java.util.Set;

/**
 * Triton's ModelStatistics, read from the counters behind {@code /metrics}: every protocol's inference
 * calls count (Classify, ClassifyStream, ModelInfer, ModelStreamInfer, HTTP infer), a stream as one call.
 */
public final class Statistics {
  /** How the HTTP front end names its infer route to the metrics (one label, whatever the model's name). */
  public static final String HTTP_INFER = "HTTP POST /v2/models/{name}/infer";

  static final Set<String> INFERENCE_METHODS = Set.of(
      ClassifyServiceGrpc.getClassifyMethod().getFullMethodName(),
      ClassifyServiceGrpc.getClassifyStreamMethod().getFullMethodName(),
      GRPCInferenceServiceGrpc.getModelInferMethod().getFullMethodName(),
      GRPCInferenceServiceGrpc.getModelStreamInferMethod().getFullMethodName(),
      HTTP_INFER);

  private Statistics() {}

  public static ModelStatistics of(KServeModel model, ServerMetrics metrics) {
    InferenceTotals totals = metrics.totals(INFERENCE_METHODS);
    return ModelStatistics.newBuilder()
        .setName(model.name())
        .setVersion(KServeModel.VERSION)
        .setLastInference(totals.lastBatchEpochMillis())
        .setInferenceCount(totals.images())
        .setExecutionCount(totals.batches())
        .setInferenceStats(InferStatistics.newBuilder()
            .setSuccess(duration(totals.succeeded()))
            .setFail(duration(totals.failed()))
            .setQueue(duration(totals.queue()))
            .setComputeInput(duration(totals.preprocess()))
            .setComputeInfer(duration(totals.inference()))
            .setComputeOutput(StatisticDuration.getDefaultInstance()))
        .build();
  }

  private static StatisticDuration duration(InferenceTotals.Tally tally) {
    return StatisticDuration.newBuilder().setCount(tally.count()).setNs(tally.nanos()).build();
  }
}
