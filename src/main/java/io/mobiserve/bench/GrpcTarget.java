package io.mobiserve.bench;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.ModelInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Unary Classify calls to a mobiserve server over one channel. */
public final class GrpcTarget implements LoadTarget {
  private final ManagedChannel channel;
  private final String address;
  private final ClassifyServiceGrpc.ClassifyServiceFutureStub stub;
  private final ProtoRequests requests;
  private final long timeoutNanos;

  public GrpcTarget(ManagedChannel channel, String address, List<BenchImage> images, int batch, int topK, Duration timeout) {
    this.channel = channel;
    this.address = address;
    this.stub = ClassifyServiceGrpc.newFutureStub(channel);
    this.requests = new ProtoRequests(images, batch, topK);
    this.timeoutNanos = timeout.toNanos();
  }

  /** What a bench needs to know, from the server's description of its model. */
  public static ModelUnderTest facts(ModelInfo info) {
    return ProtoRequests.facts(info);
  }

  /** Asks the server what it serves. */
  public static ModelInfo modelInfo(ManagedChannel channel, Duration timeout) {
    return ClassifyServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
        .getModelInfo(GetModelInfoRequest.getDefaultInstance());
  }

  @Override
  public CompletableFuture<Outcome> send(long sequence) {
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    Futures.addCallback(
        stub.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).classify(requests.request(sequence)),
        new FutureCallback<ClassifyResponse>() {
          @Override
          public void onSuccess(ClassifyResponse response) {
            outcome.complete(requests.check(sequence, response, System.nanoTime()));
          }

          @Override
          public void onFailure(Throwable failure) {
            Status status = Status.fromThrowable(failure);
            outcome.complete(Outcome.refusal(status.getCode().name(), String.valueOf(status.getDescription()),
                pushbackNanos(Status.trailersFromThrowable(failure))));
          }
        },
        MoreExecutors.directExecutor());
    return outcome;
  }

  /** gRPC's retry pushback, {@code grpc-retry-pushback-ms}, in nanoseconds; 0 when absent or unreadable. */
  static long pushbackNanos(Metadata trailers) {
    String millis = trailers == null ? null : trailers.get(PUSHBACK);
    if (millis == null) {
      return 0;
    }
    try {
      return TimeUnit.MILLISECONDS.toNanos(Math.max(0, Long.parseLong(millis.trim())));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  @Override
  public String describe() {
    return "grpc " + address;
  }

  @Override
  public void close() {
    // The channel belongs to whoever created it (it serves the streaming mode too).
  }

  ManagedChannel channel() {
    return channel;
  }
}
