package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Labels;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.BackendChoice;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.Scrape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every call counted by method and the status the client really gets, on a real in-process server. */
class MetricsInterceptorTest {
  private static final String CLASSIFY = "mobiserve.v1.ClassifyService/Classify";
  private static final InputShape INPUT = new InputShape(3, 2, 2);
  private static final ModelSpec MODEL = new ModelSpec("tiny", "a 3x2x2 test model", Path.of("unused.onnx"), "input",
      INPUT, 3, Labels.of(List.of("a", "b", "c")), Preprocessing.torchvisionDefaults(INPUT), true, "");
  private static final ServerLimits LIMITS = new ServerLimits(8, ImageLimits.DEFAULT, 1 << 20);

  private final PrometheusMetrics metrics = PrometheusMetrics.create();
  private final ClassifyServiceTest.ScriptedEngine engine = new ClassifyServiceTest.ScriptedEngine();
  private final ExecutorService handlers = Executors.newFixedThreadPool(4);
  private final String name = InProcessServerBuilder.generateName();
  private final ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
  private MobiserveServer server;
  private ModelRuntime runtime;
  private io.grpc.Server bare;

  private void startMobiserve() throws Exception {
    server = MobiserveServer.start(InProcessServerBuilder.forName(name), LIMITS, handlers, metrics);
    runtime = ModelRuntime.start(MODEL,
        RuntimeConfig.builder().maxQueuedImages(16).preprocessThreads(1).preprocessQueue(64).build(),
        BackendChoice.of((model, batches) -> engine, "test"), metrics);
    server.serve(ModelEndpoint.of(runtime, LIMITS));
  }

  @AfterEach
  void stop() throws Exception {
    engine.gate.countDown();
    channel.shutdownNow();
    if (server != null) {
      server.shutdown(Duration.ofSeconds(1));
      runtime.close();
    }
    if (bare != null) {
      bare.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    handlers.shutdownNow();
  }

  private Scrape scrape() {
    return new Scrape(metrics.scrape());
  }

  private static Image tensor(float first) {
    ByteBuffer bytes = ByteBuffer.allocate(INPUT.elementCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putFloat(0, first);
    return Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(bytes.array()))).build();
  }

  private ClassifyServiceGrpc.ClassifyServiceBlockingStub stub() {
    return ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void okAndInvalidArgumentCalls_areCountedByCodeWithTheirDurations() throws Exception {
    startMobiserve();

    stub().classify(ClassifyRequest.newBuilder().addImages(tensor(1)).build());
    Status refused = catchThrowableOfType(() -> stub().classify(ClassifyRequest.getDefaultInstance()),
        StatusRuntimeException.class).getStatus();

    assertThat(refused.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "OK")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "INVALID_ARGUMENT")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_request_duration_seconds_count", "method", CLASSIFY)).isEqualTo(2);
    assertThat(scrape.get("mobiserve_request_duration_seconds_sum", "method", CLASSIFY)).isPositive();
    assertThat(scrape.get("mobiserve_inflight_requests")).isZero();
    assertThat(scrape.get("mobiserve_batches_total", "backend", "scripted", "instance", "0", "outcome", "success"))
        .isEqualTo(1);
    assertThat(scrape.get("mobiserve_queue_duration_seconds_count", "priority", "bulk")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_preprocess_duration_seconds_count")).isEqualTo(1);
  }

  @Test
  void inFlight_countsACallUntilItIsAnswered_thenReturnsToZero() throws Exception {
    startMobiserve();
    engine.gate = new CountDownLatch(1);

    var answer = ClassifyServiceGrpc.newFutureStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .classify(ClassifyRequest.newBuilder().addImages(tensor(2)).build());
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();

    assertThat(scrape().get("mobiserve_inflight_requests")).isEqualTo(1);
    assertThat(scrape().value("mobiserve_requests_total", "method", CLASSIFY, "code", "OK")).isEmpty();

    engine.gate.countDown();
    ClassifyResponse response = answer.get(10, TimeUnit.SECONDS);

    assertThat(response.getResultsCount()).isEqualTo(1);
    assertThat(scrape().get("mobiserve_inflight_requests")).isZero();
    assertThat(scrape().get("mobiserve_requests_total", "method", CLASSIFY, "code", "OK")).isEqualTo(1);
  }

  @Test
  void failedEngineBatch_isCountedAsAFailureAndTheCallAsInternal() throws Exception {
    startMobiserve();
    engine.fail = true;

    Status status = catchThrowableOfType(() -> stub().classify(ClassifyRequest.newBuilder().addImages(tensor(1)).build()),
        StatusRuntimeException.class).getStatus();

    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "INTERNAL")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_batches_total", "backend", "scripted", "instance", "0", "outcome", "failure"))
        .isEqualTo(1);
    assertThat(scrape.value("mobiserve_images_total", "backend", "scripted")).isEmpty();
  }

  @Test
  void callRefusedBeforeTheHandlerRuns_isCountedWithItsRealCode() throws Exception {
    ServerInterceptor refuseAll = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        call.close(Status.RESOURCE_EXHAUSTED.withDescription("over the limit"), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    };
    bare = InProcessServerBuilder.forName(name)
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), refuseAll))
        .intercept(new MetricsInterceptor(metrics, System::nanoTime))
        .build()
        .start();

    Status status = catchThrowableOfType(
        () -> HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()),
        StatusRuntimeException.class).getStatus();

    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_requests_total", "method", "grpc.health.v1.Health/Check",
        "code", "RESOURCE_EXHAUSTED")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_inflight_requests")).isZero();
  }

  @Test
  void callCancelledByTheClient_isCountedAsCancelledAndLeavesInFlight() throws Exception {
    startMobiserve();
    engine.gate = new CountDownLatch(1);
    io.grpc.Context.CancellableContext context = io.grpc.Context.current().withCancellation();
    var answer = context.call(() -> ClassifyServiceGrpc.newFutureStub(channel)
        .classify(ClassifyRequest.newBuilder().addImages(tensor(2)).build()));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();

    context.cancel(null);
    catchThrowableOfType(() -> answer.get(10, TimeUnit.SECONDS), java.util.concurrent.ExecutionException.class);

    // The server learns of the cancellation asynchronously.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (scrape().get("mobiserve_inflight_requests") != 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_inflight_requests")).isZero();
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "CANCELLED")).isEqualTo(1);
  }
}
