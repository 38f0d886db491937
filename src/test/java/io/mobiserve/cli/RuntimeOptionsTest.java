package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.tensorrt.Precision;
import io.mobiserve.engine.tensorrt.TensorRtOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The backend flags that serve and bench share, parsed as users type them. */
class RuntimeOptionsTest {
  @TempDir
  Path dir;

  private static RuntimeOptions serve(String... flags) {
    CommandLine line = Main.commandLine();
    String[] args = new String[flags.length + 1];
    args[0] = "serve";
    System.arraycopy(flags, 0, args, 1, flags.length);
    line.parseArgs(args);
    return ((ServeCommand) line.getSubcommands().get("serve").getCommand()).runtimeOptions;
  }

  @Test
  void defaults_areAutoPrecisionTheUsersEngineCacheOneGibibyteGpuZeroAndCpuFallback() {
    RuntimeOptions options = serve();

    TensorRtOptions gpu = options.tensorRtOptions();

    assertThat(options.backend).isEqualTo(Backend.AUTO);
    assertThat(options.fallback).isEqualTo(Fallback.CPU);
    assertThat(gpu.precision()).isEqualTo(Precision.AUTO);
    assertThat(gpu.engineCacheDir()).isEqualTo(TensorRtOptions.defaultEngineCacheDir());
    assertThat(gpu.workspaceBytes()).isEqualTo(1024L << 20);
    assertThat(gpu.deviceIndex()).isZero();
    assertThat(gpu.maxBatch()).isEqualTo(16);
    assertThat(gpu.optBatch()).isEqualTo(16);
  }

  @Test
  void flags_setTheTensorRtOptions() {
    Path cache = dir.resolve("engines");

    TensorRtOptions gpu = serve("--precision", "fp16", "--engine-cache", cache.toString(), "--workspace-mb", "512",
        "--gpu", "1", "--max-batch", "32", "--preferred-batch", "4,8").tensorRtOptions();

    assertThat(gpu).isEqualTo(new TensorRtOptions(Precision.FP16, cache, 512L << 20, 8, 32, 1));
  }

  @Test
  void cpu_neverProbesTensorRt() {
    AtomicInteger probes = new AtomicInteger();

    BackendSelection selection = serve("--backend", "cpu").backendSelection(2, device -> {
      probes.incrementAndGet();
      throw new AssertionError("probed");
    });

    assertThat(probes).hasValue(0);
    assertThat(selection.health().accelerated()).isFalse();
  }

  @Test
  void badValues_areRefusedNamingTheFlag() throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");

    assertThatThrownBy(() -> serve("--workspace-mb", "0").tensorRtOptions())
        .isInstanceOf(ConfigurationException.class).hasMessage("--workspace-mb must be at least 1, not 0");
    assertThatThrownBy(() -> serve("--gpu", "-1").tensorRtOptions())
        .isInstanceOf(ConfigurationException.class).hasMessage("--gpu must be a CUDA device index, 0 or more, not -1");
    assertThatThrownBy(() -> serve("--engine-cache", file.toString()).tensorRtOptions())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("is a file, not a folder");
    assertThatThrownBy(() -> serve("--backend", "cpu", "--precision", "fp16").backendSelection(2, device -> null))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("--precision fp16 needs --backend tensorrt");
  }

  @Test
  void unknownWords_exitWithTheConfigurationCode() {
    int exitCode = Main.commandLine().execute("serve", "--fallback", "gpu");

    assertThat(exitCode).isEqualTo(ExitCodes.CONFIGURATION);
  }

  @Test
  void unknownWords_areRefusedByTheParserNamingTheFlag() {
    assertThatThrownBy(() -> serve("--precision", "int8"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--precision").hasMessageContaining("int8");
    assertThatThrownBy(() -> serve("--fallback", "gpu"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--fallback").hasMessageContaining("gpu");
  }

  @Test
  void benchInProcess_takesTheSameFlags() {
    CommandLine line = Main.commandLine();
    line.parseArgs("bench", "--in-process", "--backend", "cpu", "--gpu", "2", "--fallback", "none");

    RuntimeOptions options = ((BenchCommand) line.getSubcommands().get("bench").getCommand()).runtimeOptions;

    assertThat(options.gpu).isEqualTo(2);
    assertThat(options.fallback).isEqualTo(Fallback.NONE);
  }

  @Test
  void configFile_setsTheBackendOptions() throws IOException {
    Path file = Files.writeString(dir.resolve("mobiserve.properties"),
        "backend=cpu\nprecision=fp32\nengine-cache=/srv/engines\nworkspace-mb=256\ngpu=1\nfallback=none\n");
    CommandLine line = Main.commandLine();
    CommandLine serve = line.getSubcommands().get("serve");
    ConfigFile.install(serve, List.of("serve", "--config", file.toString()));
    line.parseArgs("serve", "--config", file.toString());

    RuntimeOptions options = ((ServeCommand) serve.getCommand()).runtimeOptions;

    assertThat(options.backend).isEqualTo(Backend.CPU);
    assertThat(options.fallback).isEqualTo(Fallback.NONE);
    assertThat(options.tensorRtOptions())
        .isEqualTo(new TensorRtOptions(Precision.FP32, Path.of("/srv/engines"), 256L << 20, 16, 16, 1));
  }
}
