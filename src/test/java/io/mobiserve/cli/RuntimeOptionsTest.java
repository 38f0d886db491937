package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.tensorrt.Precision;
import io.mobiserve.engine.tensorrt.TensorRtOptions;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.Backend;
import io.mobiserve.runtime.Fallback;
import io.mobiserve.runtime.RuntimeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The runtime flags that serve and bench share, parsed as users type them, become one RuntimeConfig. */
class RuntimeOptionsTest {
  private static final int CORES = 4;

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

  private static RuntimeConfig config(String... flags) {
    return serve(flags).toConfig(CORES, ImageLimits.DEFAULT);
  }

  @Test
  void defaults_areAutoPrecisionTheUsersEngineCacheOneGibibyteGpuZeroAndCpuFallback() {
    RuntimeConfig config = config();

    TensorRtOptions gpu = config.tensorRt();
    assertThat(config.backend()).isEqualTo(Backend.AUTO);
    assertThat(config.fallback()).isEqualTo(Fallback.CPU);
    assertThat(gpu.precision()).isEqualTo(Precision.AUTO);
    assertThat(gpu.engineCacheDir()).isEqualTo(TensorRtOptions.defaultEngineCacheDir());
    assertThat(gpu.workspaceBytes()).isEqualTo(1024L << 20);
    assertThat(gpu.deviceIndex()).isZero();
    assertThat(config.maxBatch()).isEqualTo(16);
    assertThat(config.instances()).isEqualTo(1);
    assertThat(config.cpu().intraOpThreads()).isEqualTo(CORES);
    assertThat(config.preprocessThreads()).isEqualTo(CORES);
    assertThat(config.maxQueueDelay()).isEqualTo(Duration.ZERO);
  }

  @Test
  void flags_setEverySettingOnce() {
    Path cache = dir.resolve("engines");

    RuntimeConfig config = config("--precision", "fp16", "--engine-cache", cache.toString(), "--workspace-mb", "512",
        "--gpu", "1", "--max-batch", "32", "--preferred-batch", "4,8", "--instances", "2",
        "--max-queue-delay-us", "250", "--max-queue", "100");

    assertThat(config.tensorRt()).isEqualTo(new TensorRtOptions(Precision.FP16, cache, 512L << 20, 1));
    assertThat(config.maxBatch()).isEqualTo(32);
    assertThat(config.preferredBatchSizes()).containsExactly(4, 8);
    assertThat(config.instances()).isEqualTo(2);
    assertThat(config.cpu().intraOpThreads()).as("cores shared among the instances").isEqualTo(CORES / 2);
    assertThat(config.maxQueueDelay()).isEqualTo(Duration.ofNanos(250_000));
    assertThat(config.maxQueuedImages()).isEqualTo(100);
  }

  @Test
  void badValues_areRefusedNamingTheFlag() throws IOException {
    Path file = Files.writeString(dir.resolve("not-a-folder"), "x");

    assertThatThrownBy(() -> config("--workspace-mb", "0"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--workspace-mb must be at least 1, not 0");
    assertThatThrownBy(() -> config("--gpu", "-1"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--gpu must be a CUDA device index, 0 or more, not -1");
    assertThatThrownBy(() -> config("--engine-cache", file.toString()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("is a file, not a folder");
    assertThatThrownBy(() -> config("--backend", "cpu", "--precision", "fp16"))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("--precision fp16 needs --backend tensorrt");
    assertThatThrownBy(() -> config("--max-batch", "0"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--max-batch must be at least 1, not 0");
    assertThatThrownBy(() -> config("--max-batch", "4", "--preferred-batch", "8"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--preferred-batch 8 is outside 1..--max-batch 4");
    assertThatThrownBy(() -> config("--instances", "0"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--instances must be at least 1, not 0");
    assertThatThrownBy(() -> config("--threads", "0"))
        .isInstanceOf(ConfigurationException.class).hasMessage("--threads must be at least 1, not 0");
    assertThatThrownBy(() -> config("--max-queue-delay-us", "-1"))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("--max-queue-delay-us must be from 0");
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
    RuntimeConfig config = options.toConfig(CORES, ImageLimits.DEFAULT);

    assertThat(config.tensorRt().deviceIndex()).isEqualTo(2);
    assertThat(config.fallback()).isEqualTo(Fallback.NONE);
  }

  @Test
  void configFile_setsTheBackendOptions() throws IOException {
    Path file = Files.writeString(dir.resolve("mobiserve.properties"),
        "backend=cpu\nprecision=fp32\nengine-cache=/srv/engines\nworkspace-mb=256\ngpu=1\nfallback=none\n");
    CommandLine line = Main.commandLine();
    CommandLine serve = line.getSubcommands().get("serve");
    ConfigFile.install(serve, List.of("serve", "--config", file.toString()));
    line.parseArgs("serve", "--config", file.toString());

    RuntimeConfig config = ((ServeCommand) serve.getCommand()).runtimeOptions.toConfig(CORES, ImageLimits.DEFAULT);

    assertThat(config.backend()).isEqualTo(Backend.CPU);
    assertThat(config.fallback()).isEqualTo(Fallback.NONE);
    assertThat(config.tensorRt()).isEqualTo(new TensorRtOptions(Precision.FP32, Path.of("/srv/engines"), 256L << 20, 1));
  }
}
