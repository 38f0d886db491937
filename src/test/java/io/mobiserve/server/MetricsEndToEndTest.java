package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.MetricsHttpServer;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metrics of a real server — Netty, OpenCV, ONNX Runtime on the digits fixture — scraped over HTTP
 * after real calls, as Prometheus would.
 */
class MetricsEndToEndTest {
  private static final String CLASSIFY = "mobiserve.v1.ClassifyService/Classify";
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);

  private static RunningServer server;
  private static MetricsHttpServer metricsServer;
  private static List<Sample> samples;

  @BeforeAll
  static void start() throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    PrometheusMetrics metrics = PrometheusMetrics.create();
    metrics.backendChosen("onnxruntime-cpu", "cpu: test");
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS, metrics);
    metricsServer = MetricsHttpServer.start("127.0.0.1", 0, metrics);
    samples = DigitsFixture.heldOut();
  }

  @AfterAll
  static void stop() throws Exception {
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static Image encoded(byte[] bytes) {
    return Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(bytes))).build();
  }

  private static Scrape scrape() throws Exception {
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(metricsServer.url()).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return new Scrape(response.body());
  }

  @Test
  void classifyingImages_showsInScrapedRequestBatchAndInferenceMetrics() throws Exception {
    Scrape before = scrape();
    double okBefore = before.value("mobiserve_requests_total", "method", CLASSIFY, "code", "OK").orElse(0.0);
    double imagesBefore = before.get("mobiserve_images_total", "backend", "onnxruntime-cpu");

    for (int request = 0; request < 3; request++) {
      ClassifyRequest.Builder images = ClassifyRequest.newBuilder();
      for (int i = 0; i < 4; i++) {
        images.addImages(encoded(samples.get(request * 4 + i).bytes()));
      }
      ClassifyResponse response = server.blockingStub().classify(images.build());
      assertThat(response.getResultsCount()).isEqualTo(4);
    }
    Status refused = catchThrowableOfType(
        () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(encoded(new byte[] {1, 2, 3}))
            .build()), StatusRuntimeException.class).getStatus();
    assertThat(refused.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);

    Scrape after = scrape();
    assertThat(after.get("mobiserve_requests_total", "method", CLASSIFY, "code", "OK")).isEqualTo(okBefore + 3);
    assertThat(after.get("mobiserve_requests_total", "method", CLASSIFY, "code", "INVALID_ARGUMENT")).isPositive();
    assertThat(after.get("mobiserve_request_duration_seconds_count", "method", CLASSIFY)).isGreaterThanOrEqualTo(4);
    assertThat(after.get("mobiserve_images_total", "backend", "onnxruntime-cpu")).isEqualTo(imagesBefore + 12);
    assertThat(after.get("mobiserve_batch_size_count")).isPositive();
    assertThat(after.get("mobiserve_batch_size_bucket", "le", "4.0")).isPositive();
    assertThat(after.get("mobiserve_inference_duration_seconds_count", "backend", "onnxruntime-cpu", "instance", "0"))
        .isPositive();
    assertThat(after.get("mobiserve_inference_duration_seconds_sum", "backend", "onnxruntime-cpu", "instance", "0"))
        .isPositive();
    assertThat(after.get("mobiserve_queue_duration_seconds_count", "priority", "bulk")).isGreaterThanOrEqualTo(12);
    assertThat(after.get("mobiserve_preprocess_duration_seconds_count")).isGreaterThanOrEqualTo(12);
    assertThat(after.get("mobiserve_dropped_images_total", "reason", "invalid_image")).isPositive();
    assertThat(after.get("mobiserve_queue_images")).isZero();
    assertThat(after.get("mobiserve_inflight_requests")).isZero();
    assertThat(after.get("mobiserve_model_info", "backend", "onnxruntime-cpu", "precision", "fp32")).isEqualTo(1);
    assertThat(after.get("mobiserve_backend_info", "backend", "onnxruntime-cpu")).isEqualTo(1);
  }

  @Test
  void oversizedMessage_isCountedWithTheCodeTheClientGets() throws Exception {
    Status status = catchThrowableOfType(
        () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(encoded(new byte[9 << 20])).build()),
        StatusRuntimeException.class).getStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "RESOURCE_EXHAUSTED")).isEqualTo(1);
    assertThat(scrape.value("mobiserve_requests_total", "method", CLASSIFY, "code", "CANCELLED")).isEmpty();
    assertThat(scrape.get("mobiserve_inflight_requests")).isZero();
  }
}
