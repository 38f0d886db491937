package io.mobiserve.metrics;

import io.mobiserve.batching.Priority;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.runtime.RuntimeGauges;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link ServerMetrics} recorded into a Prometheus registry of its own, after Triton's metric set:
 * counters end in {@code _total}, durations are in seconds, histograms are classic (fixed buckets) so
 * that every Prometheus and Grafana can read them.
 *
 * <p>Thread-safe: the Prometheus client's metrics are lock-free, and the backend label and queue supplier
 * are set once, when the model loads, before work flows.
 */
public final class PrometheusMetrics implements ServerMetrics {
  /** Latencies from 100 µs (a cached tensor on a GPU) to 10 s (a long queue): about ×2.5 apart. */
  static final double[] LATENCY_BUCKETS = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  static final double[] BATCH_SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};
  private static final double NANOS_PER_SECOND = 1e9;

  private final PrometheusRegistry registry = new PrometheusRegistry();

  private final Counter requests = Counter.builder()
      .name("mobiserve_requests_total")
      .help("RPCs handled, by full method name, caller (the name of its token; anonymous when the server checks no"
          + " tokens, unauthenticated for a call without a valid one) and final gRPC status code")
      .labelNames("method", "caller", "code")
      .register(registry);
  private final Histogram requestDuration = Histogram.builder()
      .name("mobiserve_request_duration_seconds")
      .help("RPC duration from the call's start to its final status, by full method name")
      .labelNames("method")
      .classicOnly()
      .classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Gauge inflight = Gauge.builder()
      .name("mobiserve_inflight_requests")
      .help("RPCs started and not yet finished")
      .register(registry);
  private final Counter connectionsOpened = Counter.builder()
      .name("mobiserve_grpc_connections_opened_total")
      .help("Client connections to the gRPC port opened (after the TLS handshake, when there is one); with"
          + " --max-connection-age, clients open a new one as each reaches that age")
      .register(registry);
  private final Gauge connections = Gauge.builder()
      .name("mobiserve_grpc_connections")
      .help("Client connections to the gRPC port open now")
      .register(registry);
  private final Counter images = Counter.builder()
      .name("mobiserve_images_total")
      .help("Images run through an engine in a batch that succeeded")
      .labelNames("backend")
      .register(registry);
  private final Counter batches = Counter.builder()
      .name("mobiserve_batches_total")
      .help("Engine batches run, by engine instance and outcome (success or failure)")
      .labelNames("backend", "instance", "outcome")
      .register(registry);
  private final Histogram batchSize = Histogram.builder()
      .name("mobiserve_batch_size")
      .help("Images per engine batch that succeeded")
      .classicOnly()
      .classicUpperBounds(BATCH_SIZE_BUCKETS)
      .register(registry);
  private final Histogram queueDuration = Histogram.builder()
      .name("mobiserve_queue_duration_seconds")
      .help("Time an image waited in the scheduler's queue for an engine, by priority")
      .labelNames("priority")
      .classicOnly()
      .classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Histogram preprocessDuration = Histogram.builder()
      .name("mobiserve_preprocess_duration_seconds")
      .help("Time to decode, resize and normalize one image (or check its tensor)")
      .classicOnly()
      .classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Histogram inferenceDuration = Histogram.builder()
      .name("mobiserve_inference_duration_seconds")
      .help("Time an engine instance took to run one batch that succeeded")
      .labelNames("backend", "instance")
      .classicOnly()
      .classicUpperBounds(LATENCY_BUCKETS)
      .register(registry);
  private final Counter dropped = Counter.builder()
      .name("mobiserve_dropped_images_total")
      .help("Images answered without being run, by reason")
      .labelNames("reason")
      .register(registry);
  private final Info modelInfo = Info.builder()
      .name("mobiserve_model_info")
      .help("The model being served")
      .labelNames("model", "backend", "precision")
      .register(registry);
  private final Info backendInfo = Info.builder()
      .name("mobiserve_backend_info")
      .help("The inference backend in use and why it was chosen")
      .labelNames("backend", "reason")
      .register(registry);

  private final Gauge degraded = Gauge.builder()
      .name("mobiserve_engine_degraded")
      .help("1 while batches run on the fallback engine because the accelerated engine failed, else 0")
      .register(registry);
  private final Info degradedInfo = Info.builder()
      .name("mobiserve_engine_degraded_reason_info")
      .help("Why the engine is degraded; present only while it is")
      .labelNames("reason")
      .register(registry);
  private final Counter failoverBatches = Counter.builder()
      .name("mobiserve_failover_batches_total")
      .help("Engine batches answered by the fallback engine because the accelerated engine failed or is degraded")
      .register(registry);

  private final Counter discardedImages = Counter.builder()
      .name("mobiserve_images_discarded_total")
      .help("Images inferred in vain: their results came back after their call's deadline passed or its client"
          + " went")
      .register(registry);
  /**
   * Finished calls' time by method and outcome, for {@link #totals}: the duration histogram has no code
   * label, so it cannot tell the time of successful calls from that of failed ones.
   */
  private final ConcurrentMap<String, CallTime> callTime = new ConcurrentHashMap<>();
  private volatile long lastBatchEpochMillis;

  private volatile String backend = "unknown";
  private String degradedReason; // guarded by degradedInfo
  private volatile RuntimeGauges gauges = RuntimeGauges.ofQueue(() -> 0);
  /** Images inferred in batches that succeeded, and those of them discarded: the goodput's two terms. */
  private final LongAdder inferred = new LongAdder();
  private final LongAdder discarded = new LongAdder();

  private PrometheusMetrics() {
    GaugeWithCallback.builder()
        .name("mobiserve_queue_images")
        .help("Images waiting in the scheduler's queue for an engine")
        .callback(callback -> callback.call(gauges.queuedImages()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("mobiserve_memory_budget_used_bytes")
        .help("Bytes of the memory budget reserved by calls in progress (images, decode buffers, model inputs)")
        .callback(callback -> callback.call(gauges.memoryBudgetUsedBytes()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("mobiserve_memory_budget_limit_bytes")
        .help("The memory budget: beyond it calls are refused with RESOURCE_EXHAUSTED (--memory-budget-mb)")
        .callback(callback -> callback.call(gauges.memoryBudgetLimitBytes()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("mobiserve_goodput_ratio")
        .help("Share of the images inferred since start whose results reached a waiting caller (1 - discarded"
            + " / inferred); 1 before any inference")
        .callback(callback -> callback.call(goodput()))
        .register(registry);
    // Every reason is exposed from the start, at 0, so that rate() and alerts work before the first drop.
    for (SchedulingException.Reason reason : SchedulingException.Reason.values()) {
      dropped.labelValues(label(reason));
    }
    for (Refusal refusal : Refusal.values()) {
      dropped.labelValues(label(refusal));
    }
    degraded.set(0);
  }

  /** Metrics in a new registry of their own. */
  public static PrometheusMetrics create() {
    return new PrometheusMetrics();
  }

  /** The registry that holds these metrics, for an exporter. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** The metrics now, in the Prometheus text exposition format (what {@code /metrics} serves). */
  public String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void started(String method) {
    inflight.inc();
  }

  @Override
  public void finished(String method, String caller, String code, long nanos) {
    inflight.dec();
    requests.labelValues(method, caller, code).inc();
    requestDuration.labelValues(method).observe(nanos / NANOS_PER_SECOND);
    callTime.computeIfAbsent(method, m -> new CallTime()).add(code.equals("OK"), nanos);
  }

  @Override
  public void connectionOpened() {
    connectionsOpened.inc();
    connections.inc();
  }

  @Override
  public void connectionClosed() {
    connections.dec();
  }

  @Override
  public void preprocessed(long nanos) {
    preprocessDuration.observe(nanos / NANOS_PER_SECOND);
  }

  @Override
  public void refused(Refusal refusal, int images) {
    dropped.labelValues(label(refusal)).inc(images);
  }

  @Override
  public void admitted(Priority priority, int images) {
    // Queue depth is read from the scheduler at each scrape; admissions need no metric of their own.
  }

  @Override
  public void dropped(SchedulingException.Reason reason, int images) {
    dropped.labelValues(label(reason)).inc(images);
  }

  @Override
  public void dequeued(Priority priority, long queueNanos) {
    queueDuration.labelValues(label(priority)).observe(queueNanos / NANOS_PER_SECOND);
  }

  @Override
  public void batchExecuted(int instance, int size, long inferenceNanos, boolean failed) {
    String backendLabel = backend;
    String instanceLabel = Integer.toString(instance);
    batches.labelValues(backendLabel, instanceLabel, failed ? "failure" : "success").inc();
    if (failed) {
      return;
    }
    lastBatchEpochMillis = System.currentTimeMillis();
    images.labelValues(backendLabel).inc(size);
    inferred.add(size);
    batchSize.observe(size);
    inferenceDuration.labelValues(backendLabel, instanceLabel).observe(inferenceNanos / NANOS_PER_SECOND);
  }

  @Override
  public void discarded(int count) {
    discarded.add(count);
    discardedImages.inc(count);
  }

  private double goodput() {
    long total = inferred.sum();
    return total == 0 ? 1 : Math.max(0, 1 - (double) discarded.sum() / total);
  }

  @Override
  public void modelLoaded(String model, EngineInfo engine, RuntimeGauges gauges) {
    this.backend = engine.backend();
    this.gauges = gauges;
    modelInfo.setLabelValues(model, engine.backend(), engine.precision());
  }

  @Override
  public void backendChosen(String backend, String reason) {
    backendInfo.setLabelValues(backend, reason);
  }

  @Override
  public void degraded(String reason) {
    synchronized (degradedInfo) {
      degradedReason = reason;
      degradedInfo.setLabelValues(reason);
      degraded.set(1);
    }
  }

  @Override
  public void recovered() {
    synchronized (degradedInfo) {
      if (degradedReason != null) {
        degradedInfo.remove(degradedReason);
        degradedReason = null;
      }
      degraded.set(0);
    }
  }

  @Override
  public void failedOver(int images) {
    failoverBatches.inc();
  }

  @Override
  public InferenceTotals totals(Set<String> inferenceMethods) {
    long okCount = 0;
    long okNanos = 0;
    long failCount = 0;
    long failNanos = 0;
    for (String method : inferenceMethods) {
      CallTime time = callTime.get(method);
      if (time != null) {
        okCount += time.okCount.sum();
        okNanos += time.okNanos.sum();
        failCount += time.failCount.sum();
        failNanos += time.failNanos.sum();
      }
    }
    return new InferenceTotals(
        new InferenceTotals.Tally(okCount, okNanos),
        new InferenceTotals.Tally(failCount, failNanos),
        sum(images.collect()),
        (long) batches.collect().getDataPoints().stream()
            .filter(p -> "success".equals(p.getLabels().get("outcome")))
            .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum(),
        tally(queueDuration.collect()),
        tally(preprocessDuration.collect()),
        tally(inferenceDuration.collect()),
        lastBatchEpochMillis);
  }

  private static long sum(CounterSnapshot counter) {
    return (long) counter.getDataPoints().stream().mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
  }

  /** Observations and their summed seconds, over every label set, as a count and nanoseconds. */
  private static InferenceTotals.Tally tally(HistogramSnapshot histogram) {
    long count = 0;
    double seconds = 0;
    for (HistogramSnapshot.HistogramDataPointSnapshot point : histogram.getDataPoints()) {
      count += point.getCount();
      seconds += point.getSum();
    }
    return new InferenceTotals.Tally(count, Math.round(seconds * NANOS_PER_SECOND));
  }

  /** One method's finished calls: how many, and how long altogether, apart for OK and the rest. */
  private static final class CallTime {
    final LongAdder okCount = new LongAdder();
    final LongAdder okNanos = new LongAdder();
    final LongAdder failCount = new LongAdder();
    final LongAdder failNanos = new LongAdder();

    void add(boolean ok, long nanos) {
      (ok ? okCount : failCount).increment();
      (ok ? okNanos : failNanos).add(nanos);
    }
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return "Prometheus metrics";
  }
}
