package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.UnrecoverableEngineException;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.FailoverEngine;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.runtime.WatchedEngine;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.DisguisedGpuEngine;
import io.mobiserve.testing.RunningServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A GPU lost to a sticky CUDA error, seen from outside through a real server: the "GPU" is ONNX Runtime in
 * disguise ({@link DisguisedGpuEngine}) that starts healthy, then throws an
 * {@link UnrecoverableEngineException}. With
 * {@code --fallback none} the main health turns NOT_SERVING, so that an orchestrator replaces the process;
 * with {@code --fallback cpu} the CPU answers for good and the main health stays SERVING.
 */
class LostGpuEndToEndTest {
  private static final String STICKY =
      "cudaStreamSynchronize failed: cudaErrorIllegalAddress (an illegal memory access was encountered), code 700";

  private final boolean[] gpuLost = {false};
  private final AtomicLong now = new AtomicLong();
  private final OrtEngineOptions options = new OrtEngineOptions(1);
  private final EngineFactory gpu = (m, batches) -> new DisguisedGpuEngine(OrtEngine.open(m, batches, options),
      () -> gpuLost[0] ? new UnrecoverableEngineException(STICKY) : null);
  private RunningServer server;
  private List<Sample> samples;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private void start(EngineFactory engines, EngineHealth health) throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, engines, RuntimeConfig.builder().build(), ServerLimits.DEFAULT,
        PrometheusMetrics.create(), health, "tensorrt: test");
    samples = DigitsFixture.heldOut().subList(0, 4);
  }

  @Test
  void fallbackNone_lostGpu_turnsTheMainHealthNotServing() throws Exception {
    EngineHealth health = EngineHealth.accelerated("");
    start(WatchedEngine.factory(gpu, health), health);
    assertThat(server.health("")).isEqualTo(ServingStatus.SERVING);

    gpuLost[0] = true;
    assertThatThrownBy(() -> server.blockingStub().classify(DigitsFixture.topOneRequest(samples)))
        .isInstanceOf(StatusRuntimeException.class);
    gpuLost[0] = false; // the process's CUDA context would stay lost: nothing may bring it back

    assertThatThrownBy(() -> server.blockingStub().classify(DigitsFixture.topOneRequest(samples)))
        .isInstanceOf(StatusRuntimeException.class);
    assertThat(server.health("")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(server.health("mobiserve.v1.ClassifyService")).isEqualTo(ServingStatus.NOT_SERVING);
    assertThat(server.health(MobiserveServer.ACCELERATED_SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
    ModelInfo info = server.modelInfo();
    assertThat(info.getDegraded()).isTrue();
    assertThat(info.getDegradedReason()).contains(STICKY).contains("restart required");
  }

  @Test
  void fallbackCpu_lostGpu_answersFromTheCpuForGood_andStaysServing() throws Exception {
    EngineHealth health = EngineHealth.accelerated(OrtEngine.BACKEND);
    EngineFactory cpu = (m, batches) -> OrtEngine.open(m, batches, options);
    start(FailoverEngine.factory(gpu, cpu, now::get, health), health);

    gpuLost[0] = true;
    DigitsFixture.assertEveryDigitRight(server.blockingStub().classify(DigitsFixture.topOneRequest(samples)), samples);
    gpuLost[0] = false;
    now.addAndGet(Duration.ofHours(1).toNanos()); // far past any back-off: a lost GPU is never retried

    DigitsFixture.assertEveryDigitRight(server.blockingStub().classify(DigitsFixture.topOneRequest(samples)), samples);
    assertThat(server.health("")).isEqualTo(ServingStatus.SERVING);
    assertThat(server.health("mobiserve.v1.ClassifyService")).isEqualTo(ServingStatus.SERVING);
    assertThat(server.health(MobiserveServer.ACCELERATED_SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
    ModelInfo info = server.modelInfo();
    assertThat(info.getDegraded()).isTrue();
    assertThat(info.getDegradedReason()).contains(STICKY).contains("restart required");
  }

}
