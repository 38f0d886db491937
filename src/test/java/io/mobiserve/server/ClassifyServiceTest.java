package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Labels;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.BackendChoice;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.runtime.RuntimeListener;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The service's behaviour around the model: readiness, health, failures, overload. */
class ClassifyServiceTest {
  private static final InputShape INPUT = new InputShape(3, 2, 2);
  private static final ModelSpec MODEL = new ModelSpec("tiny", "a 3x2x2 test model", Path.of("unused.onnx"), "input",
      INPUT, 3, Labels.of(List.of("a", "b", "c")), Preprocessing.torchvisionDefaults(INPUT), true, "");
  private static final ServerLimits LIMITS = new ServerLimits(8, ImageLimits.DEFAULT, 1 << 20);

  /** Scores class {@code round(first value) mod 3} highest; can be held at a gate or made to fail. */
  static final class ScriptedEngine implements InferenceEngine {
    volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch entered = new CountDownLatch(1);
    volatile boolean fail;
    private final FloatBuffer input = FloatBuffer.allocate(16 * INPUT.elementCount());

    @Override
    public FloatBuffer input() {
      return input;
    }

    @Override
    public Logits run(int batchSize) throws EngineException {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        throw new EngineException("interrupted", e);
      }
      if (fail) {
        throw new EngineException("simulated engine fault");
      }
      float[] logits = new float[batchSize * 3];
      for (int i = 0; i < batchSize; i++) {
        int winner = Math.floorMod(Math.round(input.get(i * INPUT.elementCount())), 3);
        logits[i * 3 + winner] = 10;
      }
      return new Logits(logits, batchSize, 3);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo("scripted", "fp32");
    }

    @Override
    public void close() {}
  }

  private final ScriptedEngine engine = new ScriptedEngine();
  private final ExecutorService handlers = Executors.newFixedThreadPool(4);
  private MobiserveServer server;
  private ModelRuntime runtime;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = MobiserveServer.start(InProcessServerBuilder.forName(name), LIMITS, handlers);
    channel = InProcessChannelBuilder.forName(name).build();
    runtime = ModelRuntime.start(MODEL,
        RuntimeConfig.builder().maxQueuedImages(6).preprocessThreads(1).preprocessQueue(64).build(),
        BackendChoice.of((model, batches) -> engine, "test"), RuntimeListener.NONE);
  }

  @AfterEach
  void stop() throws Exception {
    engine.gate.countDown();
    channel.shutdownNow();
    server.shutdown(Duration.ofSeconds(1));
    runtime.close();
    handlers.shutdownNow();
  }

  private static Image tensor(float first) {
    ByteBuffer bytes = ByteBuffer.allocate(INPUT.elementCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putFloat(0, first);
    return Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(bytes.array()))).build();
  }

  private ClassifyServiceGrpc.ClassifyServiceBlockingStub stub() {
    return ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private ServingStatus health() {
    return HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  private void awaitQueued(int images) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (runtime.queuedImages() != images) {
      assertThat(System.nanoTime()).as("waiting for %d queued images", images).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private Status statusOf(Runnable call) {
    return catchThrowableOfType(call::run, StatusRuntimeException.class).getStatus();
  }

  @Test
  void beforeTheModelIsServed_callsAreUnavailableAndHealthIsNotServing() {
    assertThat(health()).isEqualTo(ServingStatus.NOT_SERVING);
    Status status = statusOf(() -> stub().classify(ClassifyRequest.newBuilder().addImages(tensor(0)).build()));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(statusOf(() -> stub().getModelInfo(GetModelInfoRequest.getDefaultInstance())).getCode())
        .isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void serve_turnsHealthServingAndAnswersWithLabelsInOrder() {
    server.serve(ModelEndpoint.of(runtime, LIMITS));

    ClassifyResponse response = stub().classify(ClassifyRequest.newBuilder()
        .addImages(tensor(2)).addImages(tensor(0)).addImages(tensor(1)).setTopK(1).build());

    assertThat(health()).isEqualTo(ServingStatus.SERVING);
    assertThat(response.getResultsList()).extracting(r -> r.getClasses(0).getLabel()).containsExactly("c", "a", "b");
    assertThat(response.getResults(0).getClasses(0).getProbability()).isGreaterThan(0.99f);
  }

  @Test
  void engineFailure_isInternalAndTheNextCallSucceeds() {
    server.serve(ModelEndpoint.of(runtime, LIMITS));
    engine.fail = true;

    Status status = statusOf(() -> stub().classify(ClassifyRequest.newBuilder().addImages(tensor(0)).build()));

    assertThat(status.getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(status.getDescription()).contains("simulated engine fault");
    engine.fail = false;
    assertThat(stub().classify(ClassifyRequest.newBuilder().addImages(tensor(1)).build()).getResults(0)
        .getClasses(0).getLabel()).isEqualTo("b");
  }

  @Test
  void fullQueue_isResourceExhaustedAtOnce() throws Exception {
    server.serve(ModelEndpoint.of(runtime, LIMITS));
    engine.gate = new CountDownLatch(1);
    ClassifyServiceGrpc.ClassifyServiceFutureStub async = ClassifyServiceGrpc.newFutureStub(channel);
    var running = async.classify(ClassifyRequest.newBuilder().addImages(tensor(0)).build());
    assertThat(engine.entered.await(30, TimeUnit.SECONDS)).isTrue();
    var queued = async.classify(ClassifyRequest.newBuilder()
        .addImages(tensor(0)).addImages(tensor(0)).addImages(tensor(0)).addImages(tensor(0)).addImages(tensor(0))
        .addImages(tensor(0)).build());
    awaitQueued(6);

    Status status = statusOf(() -> stub().classify(ClassifyRequest.newBuilder().addImages(tensor(1)).build()));

    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(status.getDescription()).contains("queue is full");
    engine.gate.countDown();
    assertThat(running.get(30, TimeUnit.SECONDS).getResultsCount()).isEqualTo(1);
    assertThat(queued.get(30, TimeUnit.SECONDS).getResultsCount()).isEqualTo(6);
  }

  @Test
  void shutdown_letsCallsInFlightFinish() throws Exception {
    server.serve(ModelEndpoint.of(runtime, LIMITS));
    engine.gate = new CountDownLatch(1);
    var inFlight = ClassifyServiceGrpc.newFutureStub(channel)
        .classify(ClassifyRequest.newBuilder().addImages(tensor(2)).build());
    assertThat(engine.entered.await(30, TimeUnit.SECONDS)).isTrue();

    Thread stopper = new Thread(() -> {
      try {
        server.shutdown(Duration.ofSeconds(20));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    stopper.start();
    // Once shutdown has begun, new calls are refused while the one in flight is still held at the gate.
    Status refused = null;
    for (int i = 0; i < 3000 && refused == null; i++) {
      try {
        stub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
        Thread.sleep(10);
      } catch (StatusRuntimeException e) {
        refused = e.getStatus();
      }
    }
    assertThat(refused).isNotNull();
    assertThat(refused.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(inFlight.isDone()).isFalse();
    engine.gate.countDown();
    stopper.join(30_000);

    assertThat(inFlight.get(30, TimeUnit.SECONDS).getResults(0).getClasses(0).getLabel()).isEqualTo("c");
  }
}
