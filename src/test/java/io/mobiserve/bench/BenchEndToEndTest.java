package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mobiserve.cli.Main;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mobiserve bench} run as a user runs it (through the command line), for a few seconds, against a
 * real server on a loopback port serving the small digits model.
 */
class BenchEndToEndTest {
  /** Small enough that a 200×100 raw image is refused: the way to provoke errors. */
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 10_000), 8 << 20);
  private static final String[] SHORT = {"--warmup", "0.3s", "--duration", "1.2s", "--window", "0.4s",
      "--max-extension", "0.4s"};

  @TempDir
  static Path work;

  private static RunningServer server;

  private record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    server = new RunningServer(OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none()),
        (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)), RuntimeConfig.builder().build(), LIMITS);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static Run bench(String... args) {
    List<String> all = new ArrayList<>(List.of("bench"));
    if (!List.of(args).contains("--duration")) {
      all.addAll(List.of(SHORT));
    }
    all.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
        .execute(all.toArray(String[]::new));
    return new Run(code, out.toString(), err.toString());
  }

  private static JsonObject json(Path file) throws Exception {
    return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
  }

  private static String target() {
    return "127.0.0.1:" + server.port();
  }

  private static void assertHealthy(JsonObject step, int batch) {
    assertThat(step.get("errorCount").getAsLong()).as("errors in %s", step).isZero();
    assertThat(step.get("requests").getAsLong()).isPositive();
    assertThat(step.get("images").getAsLong()).isEqualTo(step.get("requests").getAsLong() * batch);
    assertThat(step.get("imagesPerSecond").getAsDouble()).isPositive();
    JsonObject latency = step.getAsJsonObject("latencyMs");
    List<Double> ordered = new ArrayList<>();
    for (String p : List.of("p50", "p90", "p95", "p99", "max")) {
      ordered.add(latency.get(p).getAsDouble());
    }
    assertThat(ordered).isSorted();
    assertThat(ordered.get(0)).isPositive();
    assertThat(step.getAsJsonObject("server").get("inferenceMeanMs").getAsDouble()).isPositive();
    assertThat(step.getAsJsonArray("windows").size()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void closedLoopSweep_writesJsonCsvAndHtml_withNoErrors() throws Exception {
    Path report = work.resolve("closed.json");
    Run run = bench("--target", target(), "--concurrency", "1,4", "--input", "png", "--image-size", "80x80",
        "--batch", "2", "--json", report.toString(), "--csv", work.resolve("closed.csv").toString(),
        "--html", work.resolve("closed.html").toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("concurrency 1", "concurrency 4");
    JsonObject json = json(report);
    assertThat(json.get("target").getAsString()).isEqualTo(target());
    assertThat(json.get("totalErrors").getAsLong()).isZero();
    JsonArray steps = json.getAsJsonArray("steps");
    assertThat(steps).hasSize(2);
    for (JsonElement step : steps) {
      assertHealthy(step.getAsJsonObject(), 2);
    }
    assertThat(Files.readAllLines(work.resolve("closed.csv"))).hasSize(3);
    assertThat(Files.readString(work.resolve("closed.html"))).contains("<img alt=\"Throughput\" src=\"data:image/png;base64,");
  }

  @Test
  void openLoopAndStreams_measureFromIntendedTimes_withNoErrors() throws Exception {
    Path open = work.resolve("open.json");
    Run openRun = bench("--target", target(), "--rate", "60", "--arrivals", "poisson", "--input", "jpeg",
        "--image-size", "80x80", "--json", open.toString());
    assertThat(openRun.exitCode()).as(openRun.out() + openRun.err()).isZero();
    JsonObject openStep = json(open).getAsJsonArray("steps").get(0).getAsJsonObject();
    assertHealthy(openStep, 1);
    // An open loop never completes more than it offers (60/s), however fast the server; on a loaded
    // machine it may complete fewer, so no lower bound beyond "some".
    assertThat(openStep.get("requestsPerSecond").getAsDouble()).isBetween(1.0, 60 * 1.3);

    Path streams = work.resolve("streams.json");
    Run streamRun = bench("--target", target(), "--streams", "2", "--fps", "20", "--input", "tensor",
        "--json", streams.toString());
    assertThat(streamRun.exitCode()).as(streamRun.out() + streamRun.err()).isZero();
    JsonObject streamStep = json(streams).getAsJsonArray("steps").get(0).getAsJsonObject();
    assertHealthy(streamStep, 1);
    assertThat(streamStep.get("requestsPerSecond").getAsDouble()).isBetween(1.0, 2 * 20 * 1.3);
    assertThat(streamStep.get("droppedFrames").getAsLong()).isZero(); // BLOCK never drops

    Path latest = work.resolve("latest.json");
    Run latestRun = bench("--target", target(), "--streams", "2", "--fps", "20", "--policy", "latest",
        "--input", "tensor", "--json", latest.toString());
    assertThat(latestRun.exitCode()).as(latestRun.out() + latestRun.err()).isZero();
    JsonObject latestStep = json(latest).getAsJsonArray("steps").get(0).getAsJsonObject();
    assertThat(json(latest).getAsJsonObject("settings").get("policy").getAsString()).isEqualTo("latest");
    // Frames are either classified (latencies) or dropped by the server (counted apart), never errors.
    assertThat(latestStep.getAsJsonObject("errors").size()).isZero();
    assertThat(latestStep.get("requests").getAsLong() + latestStep.get("droppedFrames").getAsLong()).isPositive();
  }

  @Test
  void refusedRequests_areCountedByCode_andFailTheRun() throws Exception {
    Path report = work.resolve("errors.json");
    Run run = bench("--warmup", "0s", "--duration", "0.4s", "--window", "0.4s", "--max-extension", "0s",
        "--target", target(), "--concurrency", "2", "--input", "raw", "--image-size", "200x100",
        "--json", report.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.out()).contains("INVALID_ARGUMENT", "FAILED");
    JsonObject step = json(report).getAsJsonArray("steps").get(0).getAsJsonObject();
    assertThat(step.getAsJsonObject("errors").get("INVALID_ARGUMENT").getAsLong()).isPositive();
    assertThat(step.get("requests").getAsLong()).isZero();
  }

  @Test
  void inProcess_runsTheSameLoadWithoutAServer() throws Exception {
    Path report = work.resolve("local.json");
    Run run = bench("--in-process", "--model", DigitsFixture.model().toString(), "--threads", "2", "--max-batch", "8",
        "--concurrency", "4", "--input", "tensor", "--json", report.toString());

    assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
    JsonObject json = json(report);
    assertThat(json.get("target").getAsString()).isEqualTo("in-process");
    assertHealthy(json.getAsJsonArray("steps").get(0).getAsJsonObject(), 1);
  }
}
