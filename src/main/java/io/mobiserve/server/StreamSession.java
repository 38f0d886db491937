package io.mobiserve.server;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.pipeline.CallScope;
import java.util.concurrent.CompletableFuture;

/**
 * One ClassifyStream call: each request message is classified as it arrives, and answered by one
 * response, in arrival order.
 *
 * <p>At most {@link #WINDOW} messages are in flight: the server asks gRPC for the next message only when
 * a response has gone out, so a client that sends faster than the server classifies is held back by
 * flow control instead of filling memory. Responses are written by a chain of futures, one link per
 * message, so one thread at a time writes, in order.
 */
final class StreamSession implements StreamObserver<ClassifyRequest> {
  static final int WINDOW = 4;

  private final ServingModel serving;
  private final RequestParser parser;
  private final ServerCallStreamObserver<ClassifyResponse> out;
  private final CallScope scope;

  // Touched by gRPC's serialized inbound callbacks only.
  private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
  private long received;
  private boolean failing;
  // Read and written inside the ordered chain only.
  private volatile boolean ended;

  StreamSession(ServingModel serving, ServerCallStreamObserver<ClassifyResponse> out, CallScope scope) {
    this.serving = serving;
    this.parser = serving.parser();
    this.out = out;
    this.scope = scope;
    out.disableAutoRequest();
    out.setOnCancelHandler(() -> ended = true);
    out.request(WINDOW);
  }

  /** An observer for a stream that has already been answered with an error. */
  static StreamObserver<ClassifyRequest> ignoring() {
    return new StreamObserver<>() {
      @Override
      public void onNext(ClassifyRequest value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  @Override
  public void onNext(ClassifyRequest request) {
    if (failing || ended) {
      return;
    }
    long position = received++;
    RequestParser.Parsed parsed;
    try {
      parsed = parser.parse(request);
    } catch (StatusException e) {
      Status status = e.getStatus();
      fail(status.withDescription("message " + position + ": " + status.getDescription()));
      return;
    }
    CompletableFuture<ClassifyResponse> response = serving.pipeline()
        .classify(parsed.images(), parsed.topK(), scope)
        .thenApply(results -> ProtoMapping.response(parsed.ids(), results));
    tail = tail.thenCompose(previous -> response.handle((value, failure) -> {
      if (ended) {
        return null;
      }
      if (failure != null) {
        Status status = StatusMapper.toStatus(failure);
        end(status.withDescription("message " + position + ": " + status.getDescription()));
      } else {
        out.onNext(value);
        out.request(1);
      }
      return null;
    }));
  }

  @Override
  public void onError(Throwable t) {
    // The client cancelled or the transport failed: the CallScope sees the cancellation, and queued
    // work is dropped before it reaches an engine. Nothing is written any more.
    ended = true;
  }

  @Override
  public void onCompleted() {
    tail = tail.thenRun(() -> {
      if (!ended) {
        ended = true;
        out.onCompleted();
      }
    });
  }

  private void fail(Status status) {
    failing = true;
    tail = tail.thenRun(() -> end(status));
  }

  private void end(Status status) {
    if (!ended) {
      ended = true;
      out.onError(status.asException());
    }
  }
}
