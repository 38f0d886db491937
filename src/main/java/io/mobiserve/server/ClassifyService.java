package io.mobiserve.server;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.batching.Priority;
import io.mobiserve.server.stream.StreamPolicyHeader;
import io.mobiserve.server.stream.StreamSession;
import io.mobiserve.server.stream.StreamSettings;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The ClassifyService API: checks each request, hands its images to the pipeline and answers with the
 * results or with a status that names the problem. Answers UNAVAILABLE while no model is ready.
 */
final class ClassifyService extends ClassifyServiceGrpc.ClassifyServiceImplBase {
  private final Supplier<ModelEndpoint> model;
  private final AtomicLong streams = new AtomicLong();

  /** @param model the model being served, or null while it is loading or after shutdown began */
  ClassifyService(Supplier<ModelEndpoint> model) {
    this.model = model;
  }

  @Override
  public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> responses) {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      responses.onError(notReady());
      return;
    }
    RequestParser.Parsed parsed;
    try {
      parsed = serving.parser().parse(request);
    } catch (StatusException e) {
      responses.onError(e);
      return;
    }
    serving.pipeline()
        .classify(parsed.images(), parsed.topK(),
            GrpcCallScope.of(Context.current(), Priority.BULK, CallerInterceptor.current()))
        .whenComplete((results, failure) -> {
          if (failure != null) {
            responses.onError(StatusMapper.toException(failure));
          } else {
            responses.onNext(ProtoMapping.response(parsed.ids(), results));
            responses.onCompleted();
          }
        });
  }

  @Override
  public StreamObserver<ClassifyStreamRequest> classifyStream(StreamObserver<ClassifyStreamResponse> responses) {
    ServerCallStreamObserver<ClassifyStreamResponse> out = (ServerCallStreamObserver<ClassifyStreamResponse>) responses;
    ModelEndpoint serving = model.get();
    if (serving == null) {
      out.onError(notReady());
      return StreamSession.ignoring();
    }
    StreamSettings fromHeader;
    try {
      fromHeader = StreamSettings.fromHeader(StreamPolicyHeader.current());
    } catch (StatusException e) {
      out.onError(e);
      return StreamSession.ignoring();
    }
    return new StreamSession(serving, out, GrpcCallScope.of(
        Context.current(), Priority.LIVE, CallerInterceptor.current() + "#stream-" + streams.incrementAndGet()),
        fromHeader);
  }

  @Override
  public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> responses) {
    ModelEndpoint serving = model.get();
    if (serving == null) {
      responses.onError(notReady());
      return;
    }
    responses.onNext(serving.info());
    responses.onCompleted();
  }

  private static StatusException notReady() {
    return Status.UNAVAILABLE.withDescription("the model is not loaded yet, or the server is shutting down")
        .asException();
  }
}
