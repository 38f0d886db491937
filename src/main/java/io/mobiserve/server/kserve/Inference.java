package io.mobiserve.server.kserve;

import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelInferResponse;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ImageRejectedException;
import io.mobiserve.server.StatusMapper;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one ModelInferRequest through the classification pipeline: check it, classify its images, build
 * the response. The one path of ModelInfer, ModelStreamInfer and the HTTP front end's infer route, so
 * that all three check, limit, batch and answer alike. Thread-safe.
 */
public final class Inference {
  private Inference() {}

  /**
   * @param scope the caller's deadline, cancellation, priority and identity; the request's "timeout"
   *     parameter (microseconds, 0 for none) can only bring the deadline closer
   * @return completes exactly once: with the response, or exceptionally with a {@link StatusException}
   *     whose code and description are what the client should get
   */
  public static CompletableFuture<ModelInferResponse> run(KServeModel model, ModelInferRequest request,
      CallScope scope) {
    InferCall call;
    try {
      call = new InferRequestReader(model).read(request);
    } catch (StatusException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<ModelInferResponse> response = new CompletableFuture<>();
    try {
      model.serving().pipeline()
          .classify(call.images(), 1, withTimeout(scope, call))
          .whenComplete((results, failure) -> {
            if (failure != null) {
              response.completeExceptionally(exception(call, failure));
              return;
            }
            try {
              response.complete(new InferResponseWriter(model).write(call, results));
            } catch (RuntimeException e) {
              response.completeExceptionally(StatusMapper.toStatus(e).asException());
            }
          });
    } catch (RuntimeException e) {
      response.completeExceptionally(StatusMapper.toStatus(e).asException());
    }
    return response;
  }

  private static CallScope withTimeout(CallScope scope, InferCall call) {
    long micros = call.timeoutMicros().orElse(0);
    if (micros == 0) {
      return scope;
    }
    long deadline = System.nanoTime() + TimeUnit.MICROSECONDS.toNanos(Math.min(micros, TimeUnit.DAYS.toMicros(1)));
    if (scope.deadlineNanos() != Long.MAX_VALUE && scope.deadlineNanos() - deadline < 0) {
      return scope;
    }
    return new CallScope(deadline, scope.cancelled(), scope.priority(), scope.source());
  }

  /**
   * The pipeline's failure as the status to answer with (with the retry pushback trailer when the server
   * knows when to retry), a refused image named by its input as well as its index.
   */
  private static StatusException exception(InferCall call, Throwable failure) {
    StatusException exception = StatusMapper.toException(failure);
    if (StatusMapper.unwrap(failure) instanceof ImageRejectedException) {
      Status status = exception.getStatus();
      return status.withDescription("input '" + call.inputName() + "': " + status.getDescription())
          .asException(exception.getTrailers());
    }
    return exception;
  }
}
