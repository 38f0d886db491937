package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.FailoverEngine;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.DisguisedGpuEngine;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A failover seen from outside, through a real server (Netty, OpenCV, ONNX Runtime on the digits fixture):
 * the "GPU" engine is ONNX Runtime in disguise that can be made to throw a CUDA error, the fallback a real
 * ONNX Runtime session. Answers keep coming; ModelInfo, the health service and the metrics say degraded,
 * then recovered.
 */
class FailoverEndToEndTest {
  private static final String CUDA_ERROR = "CUDA error 700: an illegal memory access was encountered";

  private final boolean[] gpuBroken = {true};
  private final AtomicLong now = new AtomicLong();
  private final PrometheusMetrics metrics = PrometheusMetrics.create();
  private final EngineHealth health = EngineHealth.accelerated(OrtEngine.BACKEND);
  private RunningServer server;
  private List<Sample> samples;

  @BeforeEach
  void start() throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    OrtEngineOptions options = new OrtEngineOptions(1);
    EngineFactory gpu = (m, batches) -> new DisguisedGpuEngine(OrtEngine.open(m, batches, options),
        () -> gpuBroken[0] ? new EngineException(CUDA_ERROR) : null);
    EngineFactory cpu = (m, batches) -> OrtEngine.open(m, batches, options);
    // The warm-up batch already meets the broken GPU: the server starts degraded.
    server = new RunningServer(model, FailoverEngine.factory(gpu, cpu, now::get, health),
        RuntimeConfig.builder().build(), ServerLimits.DEFAULT, metrics, health, "tensorrt: test");
    samples = DigitsFixture.heldOut().subList(0, 8);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  @Test
  void brokenGpu_answersEveryImageFromTheFallbackAndSaysItIsDegraded() {
    ClassifyResponse response = server.blockingStub().classify(DigitsFixture.topOneRequest(samples));

    DigitsFixture.assertEveryDigitRight(response, samples);
    ModelInfo info = server.modelInfo();
    assertThat(info.getDegraded()).isTrue();
    assertThat(info.getDegradedReason()).contains("tensorrt failed").contains(CUDA_ERROR);
    assertThat(info.getBackend()).isEqualTo("tensorrt");
    assertThat(info.getFallback()).isEqualTo("onnxruntime-cpu");
    assertThat(info.getBackendReason()).isEqualTo("tensorrt: test");
    assertThat(server.health("")).isEqualTo(ServingStatus.SERVING);
    assertThat(server.health("mobiserve.v1.ClassifyService")).isEqualTo(ServingStatus.SERVING);
    assertThat(server.health(MobiserveServer.ACCELERATED_SERVICE_NAME)).isEqualTo(ServingStatus.NOT_SERVING);
    Scrape scrape = new Scrape(metrics.scrape());
    assertThat(scrape.get("mobiserve_engine_degraded")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_failover_batches_total")).isGreaterThanOrEqualTo(2); // warm-up and the call
    assertThat(scrape.text()).contains("mobiserve_engine_degraded_reason_info{reason=\"tensorrt failed: " + CUDA_ERROR);
  }

  @Test
  void repairedGpu_takesOverAgainAfterTheBackOffAndEverythingSaysSo() {
    server.blockingStub().classify(DigitsFixture.topOneRequest(samples));
    double failoversBefore = new Scrape(metrics.scrape()).get("mobiserve_failover_batches_total");
    gpuBroken[0] = false;

    now.addAndGet(Duration.ofSeconds(1).toNanos());
    ClassifyResponse response = server.blockingStub().classify(DigitsFixture.topOneRequest(samples));

    DigitsFixture.assertEveryDigitRight(response, samples);
    ModelInfo info = server.modelInfo();
    assertThat(info.getDegraded()).isFalse();
    assertThat(info.getDegradedReason()).isEmpty();
    assertThat(server.health(MobiserveServer.ACCELERATED_SERVICE_NAME)).isEqualTo(ServingStatus.SERVING);
    Scrape scrape = new Scrape(metrics.scrape());
    assertThat(scrape.get("mobiserve_engine_degraded")).isZero();
    assertThat(scrape.get("mobiserve_failover_batches_total")).isEqualTo(failoversBefore);
  }
}
