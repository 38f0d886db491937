package io.mobiserve.testing;

import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.StreamSummary;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A ClassifyStream call seen from the client: what it sent, every response with the time it came, and
 * how the call ended. It either reads every response, or (for the slow-reader tests) never reads one.
 */
public final class StreamCall implements ClientResponseObserver<ClassifyStreamRequest, ClassifyStreamResponse> {
  /** A response and when it arrived, {@link System#nanoTime()}. */
  public record Received(ClassifyStreamResponse response, long nanos) {}

  private final boolean reads;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final AtomicInteger sent = new AtomicInteger();
  private ClientCallStreamObserver<ClassifyStreamRequest> requests;
  private IntFunction<ClassifyStreamRequest> flood;
  private int floodCount;

  private StreamCall(boolean reads) {
    this.reads = reads;
  }

  /** Opens a stream that reads every response. */
  public static StreamCall open(ClassifyServiceGrpc.ClassifyServiceStub stub) {
    StreamCall call = new StreamCall(true);
    stub.classifyStream(call);
    return call;
  }

  /** Opens a stream that never asks for a response. */
  public static StreamCall openNeverReading(ClassifyServiceGrpc.ClassifyServiceStub stub) {
    StreamCall call = new StreamCall(false);
    stub.classifyStream(call);
    return call;
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<ClassifyStreamRequest> requestStream) {
    this.requests = requestStream;
    if (!reads) {
      requestStream.disableAutoRequestWithInitial(0);
    }
    requestStream.setOnReadyHandler(this::sendWhileReady);
  }

  /** Sends one message now (buffered by gRPC if the transport is not ready). */
  public synchronized void send(ClassifyStreamRequest request) {
    requests.onNext(request);
    sent.incrementAndGet();
  }

  /**
   * Sends {@code count} messages as fast as the transport takes them — whenever gRPC says it is ready —
   * then half-closes if {@code halfClose}.
   */
  public synchronized void flood(int count, IntFunction<ClassifyStreamRequest> frame) {
    this.flood = frame;
    this.floodCount = count;
    sendWhileReady();
  }

  private synchronized void sendWhileReady() {
    if (flood == null) {
      return;
    }
    while (requests.isReady() && sent.get() < floodCount) {
      send(flood.apply(sent.get()));
    }
    if (sent.get() == floodCount) {
      flood = null;
      requests.onCompleted();
    }
  }

  public synchronized void halfClose() {
    requests.onCompleted();
  }

  public void cancel() {
    requests.cancel("the test cancels", null);
  }

  public int sent() {
    return sent.get();
  }

  public List<Received> received() {
    return received;
  }

  /** The responses for frames (all but a summary), in arrival order. */
  public List<ClassifyStreamResponse> frames() {
    return received.stream().map(Received::response).filter(r -> !r.hasSummary()).toList();
  }

  public StreamSummary summary() {
    ClassifyStreamResponse last = received.get(received.size() - 1).response();
    if (!last.hasSummary()) {
      throw new AssertionError("the last message has no summary: " + last);
    }
    return last.getSummary();
  }

  /** Waits for the server to end the call; throws its error status. */
  public void await(long seconds) throws Exception {
    done.get(seconds, TimeUnit.SECONDS);
  }

  public CompletableFuture<Void> done() {
    return done;
  }

  @Override
  public void onNext(ClassifyStreamResponse value) {
    received.add(new Received(value, System.nanoTime()));
  }

  @Override
  public void onError(Throwable t) {
    done.completeExceptionally(t);
  }

  @Override
  public void onCompleted() {
    done.complete(null);
  }
}
