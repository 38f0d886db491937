package io.mobiserve.bench;

import java.util.List;
import java.util.Map;

/**
 * The figures of one step of a run.
 *
 * @param label the step for people, e.g. "concurrency 8" or "rate 200/s"
 * @param load the x-axis value of the step: its concurrency, its rate (requests/s) or its stream count
 * @param measuredSeconds the measurement period (warm-up excluded)
 * @param requests requests completed successfully in the measurement period
 * @param images images in those requests
 * @param latencyMs client-observed latency of successful requests (open loop: from the intended send
 *     time)
 * @param server the server's time split, from the results' timings
 * @param networkClientMs latency − server time per request: network, serialization, client
 * @param errors failed requests by status code, over the whole step (warm-up and drain included)
 * @param errorSamples one message per status code in {@code errors}
 * @param lateSends sends that left more than 1 ms after their intended time (open loop and streams)
 * @param maxLateMs the latest of them
 * @param droppedFrames stream frames the server answered DROPPED (LATEST policy) instead of classifying
 * @param stable whether the last windows agreed (see {@link StabilityRule})
 * @param windows the measurement windows in order
 * @param histogram the latency distribution: bucket upper bounds (ms) and counts
 * @param goodput the share of the images the server inferred during the step whose results reached a
 *     waiting caller (1 − discarded / inferred), or NaN when the bench cannot see the server's counts
 */
public record StepResult(
    String label,
    double load,
    double measuredSeconds,
    long requests,
    long images,
    LatencySummary latencyMs,
    ServerSplit server,
    LatencySummary networkClientMs,
    Map<String, Long> errors,
    Map<String, String> errorSamples,
    long lateSends,
    double maxLateMs,
    long droppedFrames,
    boolean stable,
    List<Window> windows,
    List<Bucket> histogram,
    double goodput) {

  /** A latency histogram bucket: the latencies up to {@code upToMs} (and above the previous bucket's). */
  public record Bucket(double upToMs, long count) {}

  /**
   * Mean and median server-side time per image, in milliseconds.
   */
  public record ServerSplit(
      double preprocessMeanMs, double preprocessP50Ms,
      double queueMeanMs, double queueP50Ms,
      double inferenceMeanMs, double inferenceP50Ms) {
    public static final ServerSplit NONE = new ServerSplit(0, 0, 0, 0, 0, 0);
  }

  public double requestsPerSecond() {
    return measuredSeconds > 0 ? requests / measuredSeconds : 0;
  }

  public double imagesPerSecond() {
    return measuredSeconds > 0 ? images / measuredSeconds : 0;
  }

  public long errorCount() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  /** The errors whose codes are not among {@code expected}: what makes a run fail. */
  public long unexpectedErrorCount(java.util.Set<String> expected) {
    return errors.entrySet().stream().filter(e -> !expected.contains(e.getKey())).mapToLong(Map.Entry::getValue)
        .sum();
  }

  /** This result with the server's goodput over the step. */
  public StepResult withGoodput(double value) {
    return new StepResult(label, load, measuredSeconds, requests, images, latencyMs, server, networkClientMs, errors,
        errorSamples, lateSends, maxLateMs, droppedFrames, stable, windows, histogram, value);
  }
}
