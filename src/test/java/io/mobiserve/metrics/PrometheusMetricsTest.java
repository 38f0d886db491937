package io.mobiserve.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.mobiserve.batching.Priority;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.pipeline.PipelineListener.Refusal;
import io.mobiserve.runtime.RuntimeGauges;
import io.mobiserve.testing.Scrape;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The metric names, labels and values that known events produce, read back from a real scrape. */
class PrometheusMetricsTest {
  private static final String CLASSIFY = "mobiserve.v1.ClassifyService/Classify";

  private final PrometheusMetrics metrics = PrometheusMetrics.create();

  private Scrape scrape() {
    return new Scrape(metrics.scrape());
  }

  @Test
  void calls_areCountedByMethodAndCodeWithDurationAndInFlight() {
    metrics.started(CLASSIFY);
    metrics.started(CLASSIFY);
    assertThat(scrape().get("mobiserve_inflight_requests")).isEqualTo(2);

    metrics.finished(CLASSIFY, "OK", 3_000_000);
    metrics.finished(CLASSIFY, "INVALID_ARGUMENT", 200_000);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "OK")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_requests_total", "method", CLASSIFY, "code", "INVALID_ARGUMENT")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_inflight_requests")).isZero();
    assertThat(scrape.get("mobiserve_request_duration_seconds_count", "method", CLASSIFY)).isEqualTo(2);
    assertThat(scrape.get("mobiserve_request_duration_seconds_sum", "method", CLASSIFY)).isCloseTo(0.0032, within(1e-9));
    assertThat(scrape.get("mobiserve_request_duration_seconds_bucket", "method", CLASSIFY, "le", "2.5E-4"))
        .isEqualTo(1);
    assertThat(scrape.get("mobiserve_request_duration_seconds_bucket", "method", CLASSIFY, "le", "0.005"))
        .isEqualTo(2);
  }

  @Test
  void batches_countImagesSizeAndInferenceTimePerInstanceUnderTheLoadedBackend() {
    metrics.modelLoaded("mobilenetv3-small", new EngineInfo("onnxruntime-cpu", "fp32"), RuntimeGauges.ofQueue(() -> 0));

    metrics.batchExecuted(0, 3, 4_000_000, false);
    metrics.batchExecuted(1, 32, 20_000_000, false);
    metrics.batchExecuted(1, 5, 1_000_000, true);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_images_total", "backend", "onnxruntime-cpu")).isEqualTo(35);
    assertThat(scrape.get("mobiserve_batches_total", "backend", "onnxruntime-cpu", "instance", "0",
        "outcome", "success")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_batches_total", "backend", "onnxruntime-cpu", "instance", "1",
        "outcome", "success")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_batches_total", "backend", "onnxruntime-cpu", "instance", "1",
        "outcome", "failure")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_batch_size_count")).isEqualTo(2);
    assertThat(scrape.get("mobiserve_batch_size_sum")).isEqualTo(35);
    assertThat(scrape.get("mobiserve_batch_size_bucket", "le", "4.0")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_batch_size_bucket", "le", "32.0")).isEqualTo(2);
    assertThat(scrape.get("mobiserve_inference_duration_seconds_count", "backend", "onnxruntime-cpu",
        "instance", "1")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_inference_duration_seconds_sum", "backend", "onnxruntime-cpu",
        "instance", "1")).isCloseTo(0.02, within(1e-9));
  }

  @Test
  void queueTime_isPerImageByPriority_andQueueDepthIsReadAtEachScrape() {
    AtomicInteger queued = new AtomicInteger(7);
    metrics.modelLoaded("m", new EngineInfo("onnxruntime-cpu", "fp32"), RuntimeGauges.ofQueue(queued::get));
    metrics.dequeued(Priority.LIVE, 500_000);
    metrics.dequeued(Priority.BULK, 2_000_000);
    metrics.dequeued(Priority.BULK, 2_000_000);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_queue_images")).isEqualTo(7);
    assertThat(scrape.get("mobiserve_queue_duration_seconds_count", "priority", "live")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_queue_duration_seconds_count", "priority", "bulk")).isEqualTo(2);

    queued.set(0);
    assertThat(scrape().get("mobiserve_queue_images")).isZero();
  }

  @Test
  void preprocessingTime_isObservedPerImage() {
    metrics.preprocessed(1_500_000);
    metrics.preprocessed(2_500_000);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_preprocess_duration_seconds_count")).isEqualTo(2);
    assertThat(scrape.get("mobiserve_preprocess_duration_seconds_sum")).isCloseTo(0.004, within(1e-9));
  }

  @Test
  void droppedImages_areCountedByReasonFromBothScheduler_andPipeline() {
    metrics.dropped(SchedulingException.Reason.QUEUE_FULL, 4);
    metrics.dropped(SchedulingException.Reason.DEADLINE_EXPIRED, 2);
    metrics.refused(Refusal.INVALID_IMAGE, 3);
    metrics.refused(Refusal.PREPROCESS_QUEUE_FULL, 1);
    metrics.refused(Refusal.DEADLINE_EXPIRED, 1);

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_dropped_images_total", "reason", "queue_full")).isEqualTo(4);
    assertThat(scrape.get("mobiserve_dropped_images_total", "reason", "deadline_expired")).isEqualTo(3);
    assertThat(scrape.get("mobiserve_dropped_images_total", "reason", "invalid_image")).isEqualTo(3);
    assertThat(scrape.get("mobiserve_dropped_images_total", "reason", "preprocess_queue_full")).isEqualTo(1);
  }

  @Test
  void droppedImages_startAtZeroForEveryReason() {
    Scrape scrape = scrape();
    for (String reason : new String[] {"queue_full", "shut_down", "deadline_expired", "cancelled", "invalid_image",
        "preprocess_queue_full"}) {
      assertThat(scrape.get("mobiserve_dropped_images_total", "reason", reason)).as(reason).isZero();
    }
  }

  @Test
  void modelAndBackend_areDescribedByInfoMetricsValuedOne() {
    metrics.modelLoaded("mobilenetv3-large", new EngineInfo("onnxruntime-cpu", "fp32"), RuntimeGauges.ofQueue(() -> 0));
    metrics.backendChosen("onnxruntime-cpu", "cpu: requested with --backend cpu");

    Scrape scrape = scrape();
    assertThat(scrape.get("mobiserve_model_info", "model", "mobilenetv3-large", "backend", "onnxruntime-cpu",
        "precision", "fp32")).isEqualTo(1);
    assertThat(scrape.get("mobiserve_backend_info", "backend", "onnxruntime-cpu",
        "reason", "cpu: requested with --backend cpu")).isEqualTo(1);
  }

  @Test
  void failover_showsAsADegradedGaugeWithItsReasonAndACountOfFallbackBatches() {
    assertThat(scrape().get("mobiserve_engine_degraded")).isZero();
    assertThat(scrape().get("mobiserve_failover_batches_total")).isZero();

    metrics.degraded("tensorrt failed: CUDA error 700");
    metrics.failedOver(4);
    metrics.failedOver(1);

    Scrape degraded = scrape();
    assertThat(degraded.get("mobiserve_engine_degraded")).isEqualTo(1);
    assertThat(degraded.get("mobiserve_engine_degraded_reason_info", "reason", "tensorrt failed: CUDA error 700"))
        .isEqualTo(1);
    assertThat(degraded.get("mobiserve_failover_batches_total")).isEqualTo(2);

    metrics.recovered();

    Scrape recovered = scrape();
    assertThat(recovered.get("mobiserve_engine_degraded")).isZero();
    assertThat(recovered.value("mobiserve_engine_degraded_reason_info", "reason", "tensorrt failed: CUDA error 700"))
        .isEmpty();
    assertThat(recovered.get("mobiserve_failover_batches_total")).isEqualTo(2);
  }

  @Test
  void scrape_isTheTextFormatWithATypeForEveryMetric_andNoOthers() {
    metrics.modelLoaded("m", new EngineInfo("onnxruntime-cpu", "fp32"), RuntimeGauges.ofQueue(() -> 0));
    metrics.backendChosen("onnxruntime-cpu", "auto");
    metrics.started(CLASSIFY);
    metrics.finished(CLASSIFY, "OK", 1);
    metrics.dequeued(Priority.BULK, 1);
    metrics.batchExecuted(0, 1, 1, false);

    String text = metrics.scrape();

    assertThat(text)
        .contains("# TYPE mobiserve_requests_total counter")
        .contains("# TYPE mobiserve_request_duration_seconds histogram")
        .contains("# TYPE mobiserve_inflight_requests gauge")
        .contains("# TYPE mobiserve_images_total counter")
        .contains("# TYPE mobiserve_batches_total counter")
        .contains("# TYPE mobiserve_batch_size histogram")
        .contains("# TYPE mobiserve_queue_duration_seconds histogram")
        .contains("# TYPE mobiserve_preprocess_duration_seconds histogram")
        .contains("# TYPE mobiserve_inference_duration_seconds histogram")
        .contains("# TYPE mobiserve_queue_images gauge")
        .contains("# TYPE mobiserve_dropped_images_total counter")
        .contains("# TYPE mobiserve_model_info gauge")
        .contains("# TYPE mobiserve_backend_info gauge")
        .contains("# TYPE mobiserve_engine_degraded gauge")
        .contains("# TYPE mobiserve_failover_batches_total counter");
    assertThat(text.lines().filter(line -> line.startsWith("# TYPE")))
        .allMatch(line -> line.startsWith("# TYPE mobiserve_"));
  }

  @Test
  void disabled_acceptsEveryEventAndRecordsNothing() {
    ServerMetrics disabled = ServerMetrics.DISABLED;
    disabled.started("m");
    disabled.finished("m", "OK", 1);
    disabled.preprocessed(1);
    disabled.refused(Refusal.INVALID_IMAGE, 1);
    disabled.admitted(Priority.BULK, 1);
    disabled.dropped(SchedulingException.Reason.SHUT_DOWN, 1);
    disabled.dequeued(Priority.BULK, 1);
    disabled.batchExecuted(0, 1, 1, false);
    disabled.modelLoaded("m", new EngineInfo("b", "fp32"), RuntimeGauges.ofQueue(() -> 1));
    disabled.backendChosen("b", "r");
    disabled.degraded("r");
    disabled.failedOver(1);
    disabled.recovered();

    assertThat(disabled).isNotInstanceOf(PrometheusMetrics.class);
  }
}
