package io.mobiserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Collects one step's outcomes. Load threads record concurrently and without locks (HdrHistogram {@link
 * Recorder}s); one controller thread starts the measurement, closes windows and summarizes.
 *
 * <p>Latencies are kept in microseconds; values recorded before {@link #startMeasuring} (the warm-up) are
 * dropped, errors never are.
 */
final class StepRecorder {
  static final long LATE_THRESHOLD_NANOS = 1_000_000;

  private final int imagesPerRequest;
  private final Recorder latency = new Recorder(3);
  private final Recorder overhead = new Recorder(3);
  private final Recorder preprocess = new Recorder(3);
  private final Recorder queue = new Recorder(3);
  private final Recorder inference = new Recorder(3);
  private final Recorder late = new Recorder(3);
  private final LongAdder dropped = new LongAdder();
  private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
  private final Map<String, String> errorSamples = new ConcurrentHashMap<>();

  // Controller thread only.
  private final Histogram measured = new Histogram(3);
  private final List<Window> windows = new ArrayList<>();
  private Histogram recycled;

  StepRecorder(int imagesPerRequest) {
    this.imagesPerRequest = imagesPerRequest;
  }

  /** Records a request's outcome; its latency counts from {@code startNanos} (the intended send time). */
  void record(Outcome outcome, long startNanos) {
    if (!outcome.ok()) {
      errors.computeIfAbsent(outcome.error(), code -> new LongAdder()).increment();
      errorSamples.putIfAbsent(outcome.error(), outcome.detail());
      return;
    }
    long latencyNanos = Math.max(0, outcome.completedNanos() - startNanos);
    latency.recordValue(micros(latencyNanos));
    overhead.recordValue(micros(Math.max(0, latencyNanos - outcome.serverNanos())));
    for (int i = 0; i < outcome.preprocessNanos().length; i++) {
      preprocess.recordValue(micros(outcome.preprocessNanos()[i]));
      queue.recordValue(micros(outcome.queueNanos()[i]));
      inference.recordValue(micros(outcome.inferenceNanos()[i]));
    }
  }

  /** A send that left {@code lateNanos} after its intended time; only lateness above 1 ms counts. */
  void lateSend(long lateNanos) {
    if (lateNanos > LATE_THRESHOLD_NANOS) {
      late.recordValue(micros(lateNanos));
    }
  }

  /** A stream frame the server answered DROPPED rather than classify it: neither a latency nor an error. */
  void droppedFrame() {
    dropped.increment();
  }

  /** Ends the warm-up: what was recorded so far (apart from errors) is dropped. */
  void startMeasuring() {
    dropped.reset();
    for (Recorder recorder : List.of(latency, overhead, preprocess, queue, inference, late)) {
      recorder.reset();
    }
  }

  /** Closes the window that lasted {@code nanos} and starts the next. */
  Window closeWindow(long nanos) {
    Histogram interval = latency.getIntervalHistogram(recycled);
    measured.add(interval);
    double seconds = nanos / 1e9;
    Window window = new Window(seconds, interval.getTotalCount() / seconds, interval.getValueAtPercentile(99) / 1000.0);
    windows.add(window);
    recycled = interval;
    return window;
  }

  List<Window> windows() {
    return List.copyOf(windows);
  }

  StepResult result(String label, double load, boolean stable) {
    double seconds = windows.stream().mapToDouble(Window::seconds).sum();
    Histogram pre = preprocess.getIntervalHistogram();
    Histogram que = queue.getIntervalHistogram();
    Histogram inf = inference.getIntervalHistogram();
    Histogram lates = late.getIntervalHistogram();
    StepResult.ServerSplit split = pre.getTotalCount() == 0
        ? StepResult.ServerSplit.NONE
        : new StepResult.ServerSplit(
            pre.getMean() / 1000, pre.getValueAtPercentile(50) / 1000.0,
            que.getMean() / 1000, que.getValueAtPercentile(50) / 1000.0,
            inf.getMean() / 1000, inf.getValueAtPercentile(50) / 1000.0);
    Map<String, Long> errorCounts = new TreeMap<>();
    errors.forEach((code, count) -> errorCounts.put(code, count.sum()));
    return new StepResult(
        label,
        load,
        seconds,
        measured.getTotalCount(),
        measured.getTotalCount() * imagesPerRequest,
        LatencySummary.ofMicros(measured),
        split,
        LatencySummary.ofMicros(overhead.getIntervalHistogram()),
        errorCounts,
        new TreeMap<>(errorSamples),
        lates.getTotalCount(),
        lates.getMaxValue() / 1000.0,
        dropped.sum(),
        stable,
        List.copyOf(windows),
        buckets(measured),
        Double.NaN);
  }

  /** About 40 equal buckets from 0 to the 99.9th percentile; the rest in the last. */
  static List<StepResult.Bucket> buckets(Histogram micros) {
    List<StepResult.Bucket> buckets = new ArrayList<>();
    if (micros.getTotalCount() == 0) {
      return buckets;
    }
    long top = Math.max(40, micros.getValueAtPercentile(99.9));
    long width = Math.max(1, (top + 39) / 40);
    long seen = 0;
    for (long upper = width; upper < top + width && seen < micros.getTotalCount(); upper += width) {
      long total = micros.getCountBetweenValues(0, upper);
      buckets.add(new StepResult.Bucket(upper / 1000.0, total - seen));
      seen = total;
    }
    if (seen < micros.getTotalCount()) {
      buckets.add(new StepResult.Bucket(micros.getMaxValue() / 1000.0, micros.getTotalCount() - seen));
    }
    return buckets;
  }

  private static long micros(long nanos) {
    return Math.max(0, nanos / 1000);
  }
}
