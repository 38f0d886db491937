package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.tensorrt.frames.PreprocessKernels;
import io.mobiserve.testing.GpuSuite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Failover on a real, injected, sticky CUDA error ({@link StickyErrorDrill}, in a JVM of its own, since the
 * error leaves CUDA unusable in that process): with {@code --fallback cpu} the CPU answers for good and the
 * health says restart required; with {@code none} batches fail and nothing answers, so the server's main
 * health would turn NOT_SERVING. Needs TensorRT, a GPU and the {@code -Pgpu} kernels (they inject the fault).
 */
@Tag("gpu")
class StickyErrorGpuTest {
  @TempDir static Path cacheDir;

  @BeforeEach
  void requireTensorRtAndKernels() {
    GpuSuite.requireTensorRt();
    GpuSuite.require(PreprocessKernels.isAvailable(),
        "GPU preprocessing kernels (they inject the fault): " + PreprocessKernels.unavailableReason().orElse(""));
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "none"})
  void injectedStickyError(String fallback) throws Exception {
    Path log = Files.createTempFile(cacheDir, "drill-" + fallback, ".log");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), StickyErrorDrill.class.getName(), fallback,
        cacheDir.resolve("engines").toString());
    Process drill = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean finished = drill.waitFor(15, TimeUnit.MINUTES); // the first run builds the engine
    if (!finished) {
      drill.destroyForcibly();
    }
    String output = Files.readString(log);
    System.out.println(output.lines().filter(l -> l.startsWith("DRILL") || l.startsWith("injected")).toList());

    assertThat(finished).as("drill finished:%n%s", output).isTrue();
    assertThat(drill.exitValue()).as("drill exit code:%n%s", output).isZero();
    assertThat(output).contains("DRILL " + fallback + " OK");
  }
}
