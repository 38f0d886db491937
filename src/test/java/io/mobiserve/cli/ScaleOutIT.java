package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.MobiserveJar;
import io.mobiserve.testing.MobiserveJar.Run;
import io.mobiserve.testing.Scrape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-side balancing across replicas: three servers on loopback, one {@code bench} with an {@code ipv4:}
 * target naming all three. Unary calls spread evenly (round-robin per call over one connection to each); a
 * stream is one call and stays on the replica it began on.
 */
class ScaleOutIT {
  private static final String CLASSIFY = "mobiserve.v1.ClassifyService/Classify";
  private static final String STREAM = "mobiserve.v1.ClassifyService/ClassifyStream";
  private static final int REPLICAS = 3;

  @TempDir
  static Path work;

  private static final List<MobiserveJar.Server> replicas = new ArrayList<>();
  private static String target;

  @BeforeAll
  static void startReplicas() throws Exception {
    for (int i = 0; i < REPLICAS; i++) {
      replicas.add(MobiserveJar.serve(work.resolve("replica-" + i + ".log"), Map.of(),
          "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--model", DigitsFixture.model().toString(),
          "--instances", "1", "--threads", "1", "--shutdown-grace", "2"));
    }
    target = "ipv4:" + replicas.stream().map(r -> "127.0.0.1:" + r.port()).collect(Collectors.joining(","));
  }

  @AfterAll
  static void stopReplicas() {
    replicas.forEach(MobiserveJar.Server::kill);
  }

  private static double[] counts(String metric, String... labels) throws Exception {
    double[] counts = new double[REPLICAS];
    for (int i = 0; i < REPLICAS; i++) {
      counts[i] = new Scrape(replicas.get(i).metrics()).value(metric, labels).orElse(0.0);
    }
    return counts;
  }

  private static double[] minus(double[] after, double[] before) {
    double[] delta = new double[after.length];
    for (int i = 0; i < after.length; i++) {
      delta[i] = after[i] - before[i];
    }
    return delta;
  }

  @Test
  void oneClosedLoopBench_spreadsItsCallsEvenlyOverThreeReplicas() throws Exception {
    double[] before = counts("mobiserve_requests_total", "method", CLASSIFY, "code", "OK");

    Run bench = MobiserveJar.run(work, Map.of(), "bench", "--target", target, "--concurrency", "8",
        "--warmup", "1s", "--duration", "4s", "--window", "1s", "--max-extension", "2s", "--input", "tensor");

    assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
    double[] served = minus(counts("mobiserve_requests_total", "method", CLASSIFY, "code", "OK"), before);
    double total = served[0] + served[1] + served[2];
    assertThat(total).as("calls served").isGreaterThan(100);
    for (int i = 0; i < REPLICAS; i++) {
      assertThat(served[i] / total).as("replica %d's share of %s", i, java.util.Arrays.toString(served))
          .isBetween(1.0 / 3 * 0.8, 1.0 / 3 * 1.2);
    }
  }

  @Test
  void aStream_staysOnOneReplicaForItsWholeLife() throws Exception {
    double[] streamsBefore = counts("mobiserve_requests_total", "method", STREAM, "code", "OK");
    double[] imagesBefore = counts("mobiserve_images_total");

    Run bench = MobiserveJar.run(work, Map.of(), "bench", "--target", target, "--streams", "1", "--fps", "30",
        "--warmup", "1s", "--duration", "3s", "--window", "1s", "--max-extension", "1s", "--input", "tensor");

    assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
    double[] streams = minus(counts("mobiserve_requests_total", "method", STREAM, "code", "OK"), streamsBefore);
    double[] frames = minus(counts("mobiserve_images_total"), imagesBefore);
    String seen = "streams " + java.util.Arrays.toString(streams) + ", frames " + java.util.Arrays.toString(frames);
    int withFrames = 0;
    for (int i = 0; i < REPLICAS; i++) {
      if (frames[i] > 0) {
        withFrames++;
        assertThat(streams[i]).as(seen).isEqualTo(1);
        assertThat(frames[i]).as(seen).isGreaterThan(60); // 30 fps for 4 s and more
      } else {
        assertThat(streams[i]).as(seen).isZero();
      }
    }
    assertThat(withFrames).as(seen).isEqualTo(1);
  }
}
