package io.mobiserve.server.kserve;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.inference.ModelConfigRequest;
import io.mobiserve.api.inference.ModelConfigResponse;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelInferResponse;
import io.mobiserve.api.inference.ModelMetadataRequest;
import io.mobiserve.api.inference.ModelMetadataResponse;
import io.mobiserve.api.inference.ModelReadyRequest;
import io.mobiserve.api.inference.ModelReadyResponse;
import io.mobiserve.api.inference.ModelStatisticsRequest;
import io.mobiserve.api.inference.ModelStatisticsResponse;
import io.mobiserve.api.inference.ModelStreamInferResponse;
import io.mobiserve.api.inference.ServerLiveRequest;
import io.mobiserve.api.inference.ServerLiveResponse;
import io.mobiserve.api.inference.ServerMetadataRequest;
import io.mobiserve.api.inference.ServerMetadataResponse;
import io.mobiserve.api.inference.ServerReadyRequest;
import io.mobiserve.api.inference.ServerReadyResponse;
import io.mobiserve.batching.Priority;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.server.GrpcCallScope;
import io.mobiserve.server.ModelEndpoint;
import java.util.function.Supplier;

/**
 * {@code inference.GRPCInferenceService}: health, metadata, configuration, statistics and inference for
 * the served model. Live as soon as the server listens; ready, and answering model calls, once a model is
 * served. Register it behind the server's CallerInterceptor so that its calls carry the caller's identity.
 */
public final class InferenceService extends GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase {
  private final Supplier<ModelEndpoint> model;
  private final ServerMetrics metrics;

  /**
   * @param model the model being served, or null while it loads or after shutdown began
   * @param metrics where ModelStatistics reads its counters
   */
  public InferenceService(Supplier<ModelEndpoint> model, ServerMetrics metrics) {
    this.model = model;
    this.metrics = metrics;
  }

  @Override
  public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> responses) {
    answer(responses, ServerLiveResponse.newBuilder().setLive(true).build());
  }

  @Override
  public void serverReady(ServerReadyRequest request, StreamObserver<ServerReadyResponse> responses) {
    answer(responses, ServerReadyResponse.newBuilder().setReady(model.get() != null).build());
  }

  @Override
  public void modelReady(ModelReadyRequest request, StreamObserver<ModelReadyResponse> responses) {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      answer(responses, ModelReadyResponse.newBuilder().setReady(false).build());
      return;
    }
    try {
      new KServeModel(serving).check(request.getName(), request.getVersion());
    } catch (StatusException e) {
      responses.onError(e);
      return;
    }
    answer(responses, ModelReadyResponse.newBuilder().setReady(true).build());
  }

  @Override
  public void serverMetadata(ServerMetadataRequest request, StreamObserver<ServerMetadataResponse> responses) {
    answer(responses, ServerInfo.metadata());
  }

  @Override
  public void modelMetadata(ModelMetadataRequest request, StreamObserver<ModelMetadataResponse> responses) {
    try {
      answer(responses, checked(request.getName(), request.getVersion()).metadata());
    } catch (StatusException e) {
      responses.onError(e);
    }
  }

  @Override
  public void modelConfig(ModelConfigRequest request, StreamObserver<ModelConfigResponse> responses) {
    try {
      KServeModel served = checked(request.getName(), request.getVersion());
      answer(responses, ModelConfigResponse.newBuilder().setConfig(served.config()).build());
    } catch (StatusException e) {
      responses.onError(e);
    }
  }

  @Override
  public void modelStatistics(ModelStatisticsRequest request, StreamObserver<ModelStatisticsResponse> responses) {
    try {
      KServeModel served = request.getName().isEmpty()
          ? checked(currentName(), request.getVersion())
          : checked(request.getName(), request.getVersion());
      answer(responses, ModelStatisticsResponse.newBuilder().addModelStats(Statistics.of(served, metrics)).build());
    } catch (StatusException e) {
      responses.onError(e);
    }
  }

  @Override
  public void modelInfer(ModelInferRequest request, StreamObserver<ModelInferResponse> responses) {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      responses.onError(notReady());
      return;
    }
    Inference.run(new KServeModel(serving), request, GrpcCallScope.current(Priority.BULK))
        .whenComplete((response, failure) -> {
          if (failure != null) {
            responses.onError(failure);
          } else {
            answer(responses, response);
          }
        });
  }

  @Override
  public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> responses) {
    return new InferStream(() -> {
      ModelEndpoint serving = model.get();
      return serving == null ? null : new KServeModel(serving);
    }, (ServerCallStreamObserver<ModelStreamInferResponse>) responses, GrpcCallScope.current(Priority.LIVE));
  }

  private KServeModel checked(String name, String version) throws StatusException {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      throw notReady();
    }
    KServeModel served = new KServeModel(serving);
    served.check(name, version);
    return served;
  }

  private String currentName() throws StatusException {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      throw notReady();
    }
    return serving.info().getName();
  }

  static StatusException notReady() {
    return Status.UNAVAILABLE.withDescription("the model is not loaded yet, or the server is shutting down")
        .asException();
  }

  private static <T> void answer(StreamObserver<T> responses, T response) {
    responses.onNext(response);
    responses.onCompleted();
  }
}
