package io.mobiserve.bench;

import io.grpc.ManagedChannel;
import io.mobiserve.api.v1.StreamPolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * One step of a sweep: its label, its load on the x axis, and the generator that sends it (made when the
 * step starts).
 */
public record Step(String label, double load, Supplier<LoadGenerator> generator) {

  /**
   * One step per concurrency: closed-loop clients.
   *
   * @param honourPushback whether a client refused with a retry pushback waits for it before its next request
   */
  public static List<Step> closedLoop(LoadTarget target, List<Integer> concurrencies, Duration timeout,
      boolean honourPushback) {
    AtomicLong sequence = new AtomicLong();
    return concurrencies.stream()
        .map(c -> new Step("concurrency " + c, c,
            () -> new ClosedLoop(target, c, timeout, sequence, honourPushback)))
        .toList();
  }

  /** One step per rate (requests/s): open-loop arrivals, each step's schedule seeded from {@code seed}. */
  public static List<Step> openLoop(
      LoadTarget target, List<Double> rates, Arrivals arrivals, long seed, int maxInFlight) {
    AtomicLong sequence = new AtomicLong();
    return rates.stream()
        .map(rate -> new Step("rate " + format(rate) + "/s", rate,
            () -> new OpenLoop(target, arrivals.schedule(rate, seed), maxInFlight, sequence)))
        .toList();
  }

  /** One step per stream count: ClassifyStream calls at {@code fps} frames per second each. */
  public static List<Step> streams(ManagedChannel channel, List<BenchImage> images, int batch, int topK,
      List<Integer> streamCounts, double fps, StreamPolicy policy, Duration callLimit) {
    AtomicLong sequence = new AtomicLong();
    return streamCounts.stream()
        .map(n -> new Step(n + " streams @ " + format(fps) + " fps", n,
            () -> new StreamLoad(channel, images, batch, topK, n, fps, policy, callLimit, sequence)))
        .toList();
  }

  static String format(double value) {
    return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
  }
}
