package io.mobiserve.server.kserve;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelStreamInferResponse;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.server.StatusMapper;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * One ModelStreamInfer call: each request is run as ModelInfer runs it and answered by one
 * ModelStreamInferResponse, in the order the requests came; a request that fails is answered with its
 * error_message (its status code's name and description) and the stream goes on.
 *
 * <p>Flow control: at most {@value #WINDOW} requests are asked for and not yet answered, and answers are
 * written only while the transport is ready, so a client that sends too fast is held back and one that
 * does not read stops the asking: the memory a stream holds stays bounded.
 *
 * <p>Threads: gRPC's callbacks and the pipeline's completions meet under one lock, which also serializes
 * every write. Once the client cancels or the call ends, nothing more is written, and work still queued
 * sees the call cancelled and leaves the queue before it reaches an engine.
 */
final class InferStream implements StreamObserver<ModelInferRequest> {
  static final int WINDOW = 8;

  private final Supplier<KServeModel> model;
  private final ServerCallStreamObserver<ModelStreamInferResponse> out;
  private final CallScope scope;

  private final Object lock = new Object();
  // Guarded by lock: the answers in request order, null until ready.
  private final ArrayDeque<Slot> answers = new ArrayDeque<>();
  private boolean halfClosed;
  // Written under lock, read by the pipeline through the scope.
  private volatile boolean ended;

  /** A request's place in the order, filled when its answer is ready. */
  private static final class Slot {
    ModelStreamInferResponse answer;
  }

  InferStream(Supplier<KServeModel> model, ServerCallStreamObserver<ModelStreamInferResponse> out, CallScope call) {
    this.model = model;
    this.out = out;
    this.scope = new CallScope(call.deadlineNanos(), () -> ended || call.cancelled().getAsBoolean(),
        call.priority(), call.source());
    out.disableAutoRequest();
    out.setOnCancelHandler(() -> ended = true);
    out.setOnReadyHandler(this::flush);
    out.request(WINDOW);
  }

  @Override
  public void onNext(ModelInferRequest request) {
    Slot slot = new Slot();
    synchronized (lock) {
      if (ended) {
        return;
      }
      answers.add(slot);
    }
    KServeModel served = model.get();
    if (served == null) {
      fill(slot, error(InferenceService.notReady().getStatus()));
      return;
    }
    Inference.run(served, request, scope).whenComplete((response, failure) -> fill(slot, failure == null
        ? ModelStreamInferResponse.newBuilder().setInferResponse(response).build()
        : error(StatusMapper.toStatus(failure))));
  }

  private static ModelStreamInferResponse error(Status status) {
    return ModelStreamInferResponse.newBuilder()
        .setErrorMessage(status.getCode() + ": " + status.getDescription())
        .build();
  }

  private void fill(Slot slot, ModelStreamInferResponse answer) {
    synchronized (lock) {
      slot.answer = answer;
    }
    flush();
  }

  /** Writes the answers that are ready, in order, while the transport takes them; asks for one request per answer. */
  private void flush() {
    synchronized (lock) {
      while (!ended && out.isReady() && !answers.isEmpty() && answers.peek().answer != null) {
        out.onNext(answers.poll().answer);
        if (!halfClosed) {
          out.request(1);
        }
      }
      if (!ended && halfClosed && answers.isEmpty()) {
        ended = true;
        out.onCompleted();
      }
    }
  }

  @Override
  public void onError(Throwable t) {
    ended = true;
  }

  @Override
  public void onCompleted() {
    synchronized (lock) {
      halfClosed = true;
    }
    flush();
  }
}
