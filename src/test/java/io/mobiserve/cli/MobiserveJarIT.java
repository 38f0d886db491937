package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.testing.MobiserveJar;
import io.mobiserve.testing.MobiserveJar.Run;
import io.mobiserve.testing.TestImages;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, run as a user runs it: {@code java -jar target/mobiserve.jar serve | classify |
 * export-model}, in separate processes, over a real socket.
 */
class MobiserveJarIT {
  @TempDir
  static Path work;

  private static MobiserveJar.Server server;
  private static Path serverLog;
  private static int port;

  private static ProcessBuilder jar(String... args) {
    return MobiserveJar.command(args);
  }

  private static Run run(String... args) throws Exception {
    return run(Map.of(), args);
  }

  private static Run run(Map<String, String> environment, String... args) throws Exception {
    return MobiserveJar.run(work, environment, args);
  }

  @BeforeAll
  static void startServer() throws Exception {
    serverLog = work.resolve("server.log");
    server = MobiserveJar.serve(serverLog, Map.of(), "--host", "127.0.0.1", "--port", "0", "--model-cache",
        work.resolve("models").toString(), "--shutdown-grace", "10");
    port = server.port();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.kill();
    }
  }

  @Test
  void serve_logsThatTheBuiltInModelIsUntrainedAndWhichBackendRuns() throws IOException {
    String log = Files.readString(serverLog);
    assertThat(log).contains("UNTRAINED")
        .contains("backend auto: ONNX Runtime on the CPU because TensorRT cannot run here: ");
  }

  @Test
  void serveAuto_withoutAGpu_servesOnTheCpuAndModelInfoSaysWhy() throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      ModelInfo info = ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .getModelInfo(GetModelInfoRequest.getDefaultInstance());
      HealthCheckResponse accelerated = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService("mobiserve.v1.ClassifyService/accelerated").build());

      assertThat(info.getBackend()).isEqualTo("onnxruntime-cpu");
      assertThat(info.getBackendReason()).startsWith("auto: ONNX Runtime on the CPU because TensorRT cannot run here: ")
          .hasSizeGreaterThan("auto: ONNX Runtime on the CPU because TensorRT cannot run here: ".length());
      assertThat(Files.readString(serverLog)).contains(info.getBackendReason());
      assertThat(info.getDegraded()).isFalse();
      assertThat(info.getFallback()).isEmpty();
      assertThat(accelerated.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void classify_printsFiveLabelsWithScoresForAJpeg() throws Exception {
    Path jpeg = work.resolve("scene.jpg");
    Files.write(jpeg, TestImages.jpeg(TestImages.synthetic(640, 480), 0.9f));

    Run run = run("classify", "--target", "127.0.0.1:" + port, jpeg.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(6);
    assertThat(lines.get(0)).isEqualTo("scene.jpg");
    for (String line : lines.subList(1, 6)) {
      // label, then a probability: an untrained model is often near-certain, so 1.0000 is possible.
      assertThat(line).matches("  \\S.*\\s+[01]\\.\\d{4}");
    }
  }

  @Test
  void classify_ofATruncatedJpegFailsWithInvalidArgumentAndTheServerKeepsServing() throws Exception {
    byte[] jpeg = TestImages.jpeg(TestImages.synthetic(320, 240), 0.9f);
    Path truncated = work.resolve("truncated.jpg");
    Files.write(truncated, TestImages.truncated(jpeg, jpeg.length / 2));
    Path whole = work.resolve("whole.jpg");
    Files.write(whole, jpeg);

    Run bad = run("classify", "--target", "127.0.0.1:" + port, truncated.toString());
    Run good = run("classify", "--target", "127.0.0.1:" + port, "--raw", whole.toString());

    assertThat(bad.exitCode()).isEqualTo(1);
    assertThat(bad.err()).startsWith("error: INVALID_ARGUMENT: image 0: ").containsIgnoringCase("truncated");
    assertThat(good.exitCode()).as(good.err()).isZero();
    assertThat(good.out().lines()).hasSize(6);
  }

  @Test
  void health_ofTheServingServer_printsServingAndExitsZero_andAClosedPortIsUnreachable() throws Exception {
    Run serving = run("health", "--target", "127.0.0.1:" + port);
    Run model = run("health", "--target", "127.0.0.1:" + port, "--service", "mobiserve.v1.ClassifyService");
    Run accelerated = run("health", "--target", "127.0.0.1:" + port,
        "--service", "mobiserve.v1.ClassifyService/accelerated");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run down = run("health", "--target", "127.0.0.1:" + closedPort, "--timeout", "2s");

    assertThat(serving.exitCode()).as(serving.err()).isZero();
    assertThat(serving.out().strip()).isEqualTo("SERVING");
    assertThat(model.exitCode()).as(model.err()).isZero();
    assertThat(model.out().strip()).isEqualTo("SERVING");
    // On the CPU backend the accelerated name is NOT_SERVING: any answer but SERVING exits 1.
    assertThat(accelerated.exitCode()).isEqualTo(1);
    assertThat(accelerated.out().strip()).isEqualTo("NOT_SERVING");
    assertThat(down.exitCode()).isEqualTo(3);
    assertThat(down.out().strip()).isEqualTo("UNREACHABLE");
  }

  @Test
  void serve_withTensorrtOnAMachineWithoutItFailsFastNamingIt() throws Exception {
    long start = System.nanoTime();
    Run run = run("serve", "--backend", "tensorrt", "--port", "0");

    assertThat(run.exitCode()).isEqualTo(2);
    String prefix = "error: --backend tensorrt: TensorRT cannot run here: ";
    assertThat(run.err()).startsWith(prefix);
    // The probe's own reason names what is missing.
    assertThat(run.err().substring(prefix.length())).containsPattern("(?i)tensorrt|cuda|nvinfer|driver");
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(30);
  }

  @Test
  void serve_refusesAnUnknownFallbackWithExitCodeTwoNamingTheFlag() throws Exception {
    Run run = run("serve", "--fallback", "gpu", "--port", "0");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("--fallback").contains("gpu");
  }

  @Test
  void serve_refusesAnEnvironmentValueThatDoesNotParseWithExitCodeTwoNamingTheVariable() throws Exception {
    Run run = run(Map.of("MOBISERVE_MAX_BATCH", "lots"), "serve", "--port", "0");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("error: MOBISERVE_MAX_BATCH=lots: ").contains("--max-batch");
  }

  @Test
  void serve_takesASettingFromTheEnvironment() throws Exception {
    // The backend from MOBISERVE_BACKEND: tensorrt, which stops at once on a machine without it.
    Run fromEnvironment = run(Map.of("MOBISERVE_BACKEND", "tensorrt"), "serve", "--port", "0");
    // A flag wins over the environment: a model that is not ONNX is refused before any backend is chosen.
    Path notAModel = work.resolve("env-not-a-model.onnx");
    Files.writeString(notAModel, "not ONNX", StandardCharsets.US_ASCII);
    Run flagWins = run(Map.of("MOBISERVE_MODEL", "/nonexistent/model.onnx"), "serve", "--port", "0",
        "--model", notAModel.toString());

    assertThat(fromEnvironment.exitCode()).isEqualTo(2);
    assertThat(fromEnvironment.err()).contains("settings from the environment: MOBISERVE_BACKEND")
        .contains("error: --backend tensorrt: ");
    assertThat(flagWins.exitCode()).isEqualTo(2);
    assertThat(flagWins.err()).contains("env-not-a-model.onnx").doesNotContain("/nonexistent/");
  }

  @Test
  void serve_refusesAModelItCannotServeWithTheReason() throws Exception {
    Path notAModel = work.resolve("not-a-model.onnx");
    Files.writeString(notAModel, "definitely not ONNX", StandardCharsets.US_ASCII);

    Run run = run("serve", "--port", "0", "--model", notAModel.toString());

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("not-a-model.onnx");
  }

  @Test
  void exportModel_writesALargeModelThatOnnxRuntimeRunsWith1000Classes() throws Exception {
    Path out = work.resolve("large.onnx");

    Run run = run("export-model", "--arch", "large", "--out", out.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("15 depthwise convolutions");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(out.toString(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.allocate(2 * 3 * 224 * 224), new long[] {2, 3, 224, 224});
        OrtSession.Result result = session.run(Map.of("input", input))) {
      float[][] logits = (float[][]) result.get(0).getValue();
      assertThat(logits.length).isEqualTo(2);
      assertThat(logits[0].length).isEqualTo(1000);
    }
  }

  @Test
  void sigterm_stopsTheServerGracefullyWithExitCodeZero() throws Exception {
    Path log = work.resolve("second.log");
    Process second = jar("serve", "--host", "127.0.0.1", "--port", "0", "--model-cache",
            work.resolve("models").toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (!Files.readString(log).contains("serving ") && System.nanoTime() < deadline) {
      assertThat(second.isAlive()).as(Files.readString(log)).isTrue();
      Thread.sleep(100);
    }

    second.destroy(); // SIGTERM

    assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(second.exitValue()).as(Files.readString(log)).isZero();
    assertThat(Files.readString(log)).contains("shutting down").contains("stopped");
  }
}
