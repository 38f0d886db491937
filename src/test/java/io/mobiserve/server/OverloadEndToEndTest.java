package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.ServerAtRest;
import io.mobiserve.testing.SlowedEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server over its limits refuses what it cannot finish, at once and with the right status, and holds
 * nothing afterwards: deadline-aware admission, the memory budget, a request that could never fit.
 */
class OverloadEndToEndTest {
  private static final long SLOW_MS = 150;
  private static final ServerLimits LIMITS = new ServerLimits(64, ImageLimits.DEFAULT, 8 << 20);
  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of(StatusMapper.RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);

  private final PrometheusMetrics metrics = PrometheusMetrics.create();
  private RunningServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private void start(RuntimeConfig config) throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, (m, batches) ->
        new SlowedEngine(OrtEngine.open(m, batches, new OrtEngineOptions(1)), SLOW_MS, new AtomicLong()),
        config, LIMITS, metrics);
  }

  private static ClassifyRequest digits(int count) {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder();
    List<DigitsFixture.Sample> samples = DigitsFixture.heldOut();
    for (int i = 0; i < count; i++) {
      request.addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder()
          .setData(ByteString.copyFrom(samples.get(i % samples.size()).bytes()))));
    }
    return request.build();
  }

  @Test
  void aRequestWhoseDeadlineTheQueuedWorkWouldMiss_isRefusedAtOnceSayingWhenToRetry() throws Exception {
    start(RuntimeConfig.builder().maxBatch(1).maxQueueDelay(java.time.Duration.ZERO).build());
    List<com.google.common.util.concurrent.ListenableFuture<ClassifyResponse>> queued = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      queued.add(io.mobiserve.api.v1.ClassifyServiceGrpc.newFutureStub(server.channel()).classify(digits(1)));
    }
    awaitQueued(4);

    long start = System.nanoTime();
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        server.blockingStub().withDeadlineAfter(400, TimeUnit.MILLISECONDS).classify(digits(1)));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getStatus().getDescription()).contains("cannot answer in time");
    assertThat(tookMillis).as("refused at admission, not at the deadline").isLessThan(300);
    String pushback = Status.trailersFromThrowable(refused).get(PUSHBACK);
    assertThat(pushback).isNotNull();
    assertThat(Long.parseLong(pushback)).isPositive();
    for (var future : queued) {
      assertThat(future.get(30, TimeUnit.SECONDS).getResultsCount()).isEqualTo(1);
    }
    assertBudgetAndQueueEmpty();
  }

  @Test
  void aDeadlineShorterThanTheRequestTakesOnAnIdleServer_isDeadlineExceededAtOnce_notAnInvitationToRetry()
      throws Exception {
    start(RuntimeConfig.builder().maxBatch(1).maxQueueDelay(java.time.Duration.ZERO).build());
    assertThat(server.blockingStub().classify(digits(1)).getResultsCount()).as("measures the engine").isEqualTo(1);

    long start = System.nanoTime();
    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        server.blockingStub().withDeadlineAfter(2 * SLOW_MS, TimeUnit.MILLISECONDS).classify(digits(4)));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(refused.getStatus().getDescription()).contains("shorter than this request takes on an idle server");
    assertThat(tookMillis).as("refused at admission, not at the deadline").isLessThan(2 * SLOW_MS);
    assertThat(Status.trailersFromThrowable(refused).get(PUSHBACK)).as("no retry hint").isNull();
    assertBudgetAndQueueEmpty();
  }

  @Test
  void aRequestLargerThanTheWholeMemoryBudget_isInvalidArgument_sinceItCouldNeverFit() throws Exception {
    start(RuntimeConfig.builder().memoryBudgetBytes(1 << 20).build());

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> server.blockingStub().classify(digits(64)));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains("more than its whole memory budget of 1 MiB");
    assertBudgetAndQueueEmpty();
  }

  @Test
  void aFullMemoryBudget_refusesWithResourceExhausted_beforeDecoding_andEverythingComesBack() throws Exception {
    // Room for about two requests of 8 digits (each ~100 KB of images and decode buffers, 393 KB of inputs).
    start(RuntimeConfig.builder().memoryBudgetBytes(1 << 20).maxBatch(8).build());
    List<com.google.common.util.concurrent.ListenableFuture<ClassifyResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(io.mobiserve.api.v1.ClassifyServiceGrpc.newFutureStub(server.channel()).classify(digits(8)));
    }

    int ok = 0;
    int exhausted = 0;
    for (var call : calls) {
      try {
        assertThat(call.get(30, TimeUnit.SECONDS).getResultsCount()).isEqualTo(8);
        ok++;
      } catch (java.util.concurrent.ExecutionException e) {
        Status status = Status.fromThrowable(e.getCause());
        assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(status.getDescription()).contains("memory budget");
        exhausted++;
      }
    }
    assertThat(ok).isPositive();
    assertThat(exhausted).isPositive();
    assertBudgetAndQueueEmpty();
  }

  private void awaitQueued(int images) throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.runtime().queuedImages() < images && System.nanoTime() < giveUp) {
      Thread.sleep(5);
    }
    assertThat(server.runtime().queuedImages()).isGreaterThanOrEqualTo(images);
  }

  private void assertBudgetAndQueueEmpty() throws InterruptedException {
    ServerAtRest.await(metrics::scrape);
  }
}
