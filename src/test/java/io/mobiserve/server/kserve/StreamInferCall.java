package io.mobiserve.server.kserve;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelStreamInferResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One ModelStreamInfer call: sends the requests, half-closes, and returns every answer in order. */
final class StreamInferCall {
  private StreamInferCall() {}

  static List<ModelStreamInferResponse> run(Channel channel, List<ModelInferRequest> requests) throws Exception {
    List<ModelStreamInferResponse> answers = new ArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> stream = GRPCInferenceServiceGrpc.newStub(channel)
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse value) {
            answers.add(value);
          }

          @Override
          public void onError(Throwable t) {
            done.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            done.complete(null);
          }
        });
    requests.forEach(stream::onNext);
    stream.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    return answers;
  }
}
