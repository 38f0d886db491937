package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.StreamOptions;
import io.mobiserve.api.v1.StreamPolicy;
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
import io.mobiserve.testing.StreamCall;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way a call can end leaves nothing counted behind: calls in flight, queued images and the memory
 * budget in use all return to 0 — after success, a bad image, a cancel, a deadline, an overloaded server,
 * a cancelled or dropping stream, and a shutdown with work still queued.
 */
class GaugesReturnToZeroEndToEndTest {
  private static final long SLOW_MS = 60;
  private static final ServerLimits LIMITS = new ServerLimits(64, ImageLimits.DEFAULT, 8 << 20);

  private final PrometheusMetrics metrics = PrometheusMetrics.create();
  private RunningServer server;
  private List<DigitsFixture.Sample> samples;

  @BeforeEach
  void start() throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    samples = DigitsFixture.heldOut();
    server = new RunningServer(model, (m, batches) ->
        new SlowedEngine(OrtEngine.open(m, batches, new OrtEngineOptions(1)), SLOW_MS, new AtomicLong()),
        RuntimeConfig.builder().maxBatch(4).memoryBudgetBytes(4 << 20).build(), LIMITS, metrics);
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private Image digit(int i) {
    return Image.newBuilder().setEncoded(EncodedImage.newBuilder()
        .setData(ByteString.copyFrom(samples.get(i % samples.size()).bytes()))).build();
  }

  private ClassifyRequest request(int images) {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder();
    for (int i = 0; i < images; i++) {
      request.addImages(digit(i));
    }
    return request.build();
  }

  @Test
  void success() throws Exception {
    assertThat(server.blockingStub().classify(request(3)).getResultsCount()).isEqualTo(3);

    assertEverythingReturnsToZero();
  }

  @Test
  void aBadImage() throws Exception {
    byte[] png = samples.get(0).bytes();
    Image truncated = Image.newBuilder().setEncoded(EncodedImage.newBuilder()
        .setData(ByteString.copyFrom(Arrays.copyOf(png, png.length / 2)))).build();

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        server.blockingStub().classify(request(2).toBuilder().addImages(truncated).build()));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertEverythingReturnsToZero();
  }

  @Test
  void clientsCancellingMidCall() throws Exception {
    List<Context.CancellableContext> contexts = new ArrayList<>();
    List<ListenableFuture<ClassifyResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      Context.CancellableContext context = Context.current().withCancellation();
      contexts.add(context);
      calls.add(context.call(() -> ClassifyServiceGrpc.newFutureStub(server.channel()).classify(request(4))));
    }
    Thread.sleep(SLOW_MS / 2);
    contexts.forEach(context -> context.cancel(null));

    for (ListenableFuture<ClassifyResponse> call : calls) {
      settle(call);
    }
    assertEverythingReturnsToZero();
  }

  @Test
  void deadlinesAndAnOverloadedServer() throws Exception {
    List<ListenableFuture<ClassifyResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      calls.add(ClassifyServiceGrpc.newFutureStub(server.channel())
          .withDeadlineAfter(20 + 15L * i, TimeUnit.MILLISECONDS).classify(request(1 + i % 8)));
    }

    for (ListenableFuture<ClassifyResponse> call : calls) {
      Status.Code code = settle(call);
      assertThat(code).isIn(Status.Code.OK, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED);
    }
    assertEverythingReturnsToZero();
  }

  @Test
  void streamsCancelledOrDropping() throws Exception {
    StreamCall latest = StreamCall.open(server.asyncStub());
    latest.flood(40, i -> ClassifyStreamRequest.newBuilder().setFrameId(i).addImages(digit(i))
        .setStreamOptions(StreamOptions.newBuilder().setPolicy(StreamPolicy.STREAM_POLICY_LATEST)).build());
    StreamCall cancelled = StreamCall.open(server.asyncStub());
    for (int i = 0; i < 6; i++) {
      cancelled.send(ClassifyStreamRequest.newBuilder().setFrameId(i).addImages(digit(i)).build());
    }
    Thread.sleep(SLOW_MS);
    cancelled.cancel();
    latest.await(60);

    assertThat(latest.summary().getFramesDropped()).isPositive();
    assertEverythingReturnsToZero();
  }

  @Test
  void aShutdownWithWorkStillQueued() throws Exception {
    List<ListenableFuture<ClassifyResponse>> calls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      calls.add(ClassifyServiceGrpc.newFutureStub(server.channel()).classify(request(4)));
    }
    Thread.sleep(SLOW_MS / 2);

    server.close();

    for (ListenableFuture<ClassifyResponse> call : calls) {
      settle(call);
    }
    assertEverythingReturnsToZero();
    server = null;
  }

  /** Waits for the call to end, whatever its outcome, and says how it ended. */
  private static Status.Code settle(ListenableFuture<ClassifyResponse> call) throws Exception {
    try {
      call.get(30, TimeUnit.SECONDS);
      return Status.Code.OK;
    } catch (ExecutionException e) {
      return Status.fromThrowable(e.getCause()).getCode();
    } catch (java.util.concurrent.CancellationException e) {
      return Status.Code.CANCELLED;
    }
  }

  private void assertEverythingReturnsToZero() throws InterruptedException {
    ServerAtRest.await(metrics::scrape);
  }
}
