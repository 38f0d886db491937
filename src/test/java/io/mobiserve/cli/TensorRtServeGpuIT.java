package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.GpuSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU path as a user meets it: {@code java -jar mobiserve.jar serve --backend tensorrt} on the digits
 * model, classified over gRPC, then restarted — the second start must load the engine from the cache
 * instead of building it again.
 */
@Tag("gpu")
class TensorRtServeGpuIT {
  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");

  @TempDir
  static Path work;

  // Per test, not @BeforeAll: a class-level skip is reported as no test at all.
  @BeforeEach
  void requireTensorRt() {
    GpuSuite.requireTensorRt();
  }

  @Test
  void servesOnTheGpu_thenRestartsFromTheEngineCache() throws Exception {
    Path engines = work.resolve("engines");

    Served first = serve(engines, "first.log");
    try {
      assertThat(first.log()).contains("built a TensorRT engine for digits-mobilenetv3-small")
          .contains("stored the TensorRT engine");
      assertServesDigitsOnTheGpu(first.port());
    } finally {
      assertThat(first.stop()).as("exit code after SIGTERM").isZero();
    }

    Served second = serve(engines, "second.log");
    try {
      assertThat(second.log()).contains("loaded the TensorRT engine for digits-mobilenetv3-small")
          .doesNotContain("built a TensorRT engine");
      assertServesDigitsOnTheGpu(second.port());
    } finally {
      assertThat(second.stop()).isZero();
    }
    System.out.printf("[gpu suite] serve --backend tensorrt: first start %d ms (build), second %d ms (cache)%n",
        first.startMillis(), second.startMillis());
  }

  private static void assertServesDigitsOnTheGpu(int port) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      ModelInfo info = ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .getModelInfo(GetModelInfoRequest.getDefaultInstance());
      assertThat(info.getBackend()).isEqualTo("tensorrt-gpu");
      assertThat(info.getBackendReason()).startsWith("tensorrt: requested with --backend tensorrt, on GPU 0 (");
      assertThat(info.getDegraded()).isFalse();
      assertThat(HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService("mobiserve.v1.ClassifyService/accelerated").build())
          .getStatus()).isEqualTo(ServingStatus.SERVING);

      List<DigitsFixture.Sample> samples = DigitsFixture.heldOut();
      int correct = 0;
      for (int first = 0; first < samples.size(); first += 25) {
        List<DigitsFixture.Sample> slice = samples.subList(first, Math.min(first + 25, samples.size()));
        ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(1);
        for (DigitsFixture.Sample sample : slice) {
          request.addImages(Image.newBuilder()
              .setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(sample.bytes()))));
        }
        ClassifyResponse response = ClassifyServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(60, TimeUnit.SECONDS).classify(request.build());
        for (int i = 0; i < slice.size(); i++) {
          if (response.getResults(i).getClasses(0).getIndex() == slice.get(i).label()) {
            correct++;
          }
        }
      }
      assertThat(correct).as("held-out digits classified correctly on the GPU").isGreaterThanOrEqualTo(190);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private record Served(Process process, Path logFile, int port, long startMillis) {
    String log() throws Exception {
      return Files.readString(logFile);
    }

    int stop() throws Exception {
      process.destroy(); // SIGTERM: drain and exit 0
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      return process.exitValue();
    }
  }

  private static Served serve(Path engines, String logName) throws Exception {
    Path log = work.resolve(logName);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("mobiserve.jar", "target/mobiserve.jar"),
        "serve", "--host", "127.0.0.1", "--port", "0", "--backend", "tensorrt", "--fallback", "none",
        "--model", DigitsFixture.model().toString(), "--engine-cache", engines.toString(),
        "--shutdown-grace", "5"));
    long started = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    // An engine build takes minutes on small GPUs.
    long deadline = started + TimeUnit.MINUTES.toNanos(15);
    while (System.nanoTime() < deadline) {
      String text = Files.readString(log);
      Matcher listening = LISTENING.matcher(text);
      if (listening.find() && text.contains("serving ")) {
        return new Served(process, log, Integer.parseInt(listening.group(1)),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      }
      assertThat(process.isAlive()).as("server exited early:%n%s", text).isTrue();
      Thread.sleep(200);
    }
    process.destroyForcibly();
    throw new AssertionError("server did not start serving within 15 minutes:\n" + Files.readString(log));
  }
}
