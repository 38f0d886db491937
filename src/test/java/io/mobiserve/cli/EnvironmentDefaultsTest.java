package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** serve's settings: command-line flag, then MOBISERVE_* variable, then --config file, then default. */
class EnvironmentDefaultsTest {
  @TempDir
  Path dir;

  /** What Main does for serve, with {@code environment} in place of the process's. */
  private static ServeCommand parse(Map<String, String> environment, String... args) {
    CommandLine line = Main.commandLine();
    CommandLine serve = line.getSubcommands().get("serve");
    ConfigFile.install(serve, List.of(args), environment);
    EnvironmentDefaults.install(serve, environment);
    line.parseArgs(args);
    return serve.getCommand();
  }

  private Path config(String text) throws IOException {
    Path file = dir.resolve("mobiserve.properties");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void variable_isThePrefixAndTheLongNameInUpperCaseWithUnderscores() {
    CommandLine serve = Main.commandLine().getSubcommands().get("serve");
    OptionSpec delay = serve.getCommandSpec().findOption("--max-queue-delay-us");

    assertThat(EnvironmentDefaults.variable(delay)).isEqualTo("MOBISERVE_MAX_QUEUE_DELAY_US");
  }

  @Test
  void environment_setsOptionsOfTheCommandAndOfItsMixins() {
    ServeCommand serve = parse(Map.of("MOBISERVE_PORT", "9100", "MOBISERVE_MAX_BATCH", "8",
        "MOBISERVE_MODEL_CACHE", "/tmp/models", "MOBISERVE_PREFERRED_BATCH", "4,8", "MOBISERVE_BACKEND", "cpu",
        "MOBISERVE_METRICS_PORT", "9090"), "serve");

    assertThat(serve.port).isEqualTo(9100);
    assertThat(serve.metricsPort).isEqualTo(9090);
    assertThat(serve.runtimeOptions.maxBatch).isEqualTo(8);
    assertThat(serve.runtimeOptions.preferredBatchSizes).containsExactly(4, 8);
    assertThat(String.valueOf(serve.runtimeOptions.backend)).isEqualTo("CPU");
    assertThat(serve.modelOptions.modelCache).isEqualTo(Path.of("/tmp/models"));
    assertThat(serve.maxImagesPerRequest).as("an option the environment does not set keeps its default").isEqualTo(64);
  }

  @Test
  void kserveOutputs_areBothByDefault_andOneFromTheFlagTheEnvironmentOrTheFile() throws IOException {
    assertThat(parse(Map.of(), "serve").presentedOutputs()).containsExactly("logits", "probabilities");
    assertThat(parse(Map.of(), "serve", "--kserve-outputs", "probabilities").presentedOutputs())
        .containsExactly("probabilities");
    assertThat(parse(Map.of("MOBISERVE_KSERVE_OUTPUTS", "probabilities"), "serve").presentedOutputs())
        .containsExactly("probabilities");
    assertThat(parse(Map.of(), "serve", "--config", config("kserve-outputs = logits\n").toString())
        .presentedOutputs()).containsExactly("logits");
    assertThat(parse(Map.of(), "serve", "--kserve-outputs", "probabilities,logits").presentedOutputs())
        .containsExactly("logits", "probabilities");

    assertThatThrownBy(() -> parse(Map.of(), "serve", "--kserve-outputs", "softmax").presentedOutputs())
        .isInstanceOf(ConfigurationException.class)
        .hasMessage("--kserve-outputs: unknown output 'softmax'; the outputs are 'logits' and 'probabilities'");
    assertThatThrownBy(() -> parse(Map.of(), "serve", "--kserve-outputs", "logits,logits").presentedOutputs())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("named twice");
  }

  @Test
  void precedence_flagThenEnvironmentThenConfigFileThenDefault() throws IOException {
    Path file = config("port = 9100\nmax-batch = 8\ninstances = 2\n");

    ServeCommand serve = parse(Map.of("MOBISERVE_PORT", "9200", "MOBISERVE_MAX_BATCH", "4"),
        "serve", "--config", file.toString(), "--port", "9300");

    assertThat(serve.port).as("flag over environment and file").isEqualTo(9300);
    assertThat(serve.runtimeOptions.maxBatch).as("environment over file").isEqualTo(4);
    assertThat(serve.runtimeOptions.instances).as("file over default").isEqualTo(2);
    assertThat(serve.runtimeOptions.maxQueue).as("default").isEqualTo(1024);
  }

  @Test
  void configFile_canBeNamedByTheEnvironment_andAFlagStillWins() throws IOException {
    Path file = config("max-batch = 8\n");
    Path other = dir.resolve("other.properties");
    Files.writeString(other, "max-batch = 2\n");

    ServeCommand fromEnvironment = parse(Map.of("MOBISERVE_CONFIG", file.toString()), "serve");
    ServeCommand fromFlag = parse(Map.of("MOBISERVE_CONFIG", file.toString()), "serve", "--config", other.toString());

    assertThat(fromEnvironment.runtimeOptions.maxBatch).isEqualTo(8);
    assertThat(fromFlag.runtimeOptions.maxBatch).isEqualTo(2);
  }

  @Test
  void aValueThatDoesNotConvert_isRefusedAtInstallNamingTheVariable() {
    CommandLine serve = Main.commandLine().getSubcommands().get("serve");

    assertThatThrownBy(() -> EnvironmentDefaults.install(serve, Map.of("MOBISERVE_MAX_BATCH", "lots")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("MOBISERVE_MAX_BATCH=lots: ")
        .hasMessageContaining("--max-batch");
  }

  @Test
  void anEnumValueOutsideTheChoices_isRefusedNamingTheVariable() {
    assertThatThrownBy(() -> parse(Map.of("MOBISERVE_FALLBACK", "gpu"), "serve"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("MOBISERVE_FALLBACK=gpu: ");
  }

  @Test
  void aKubernetesServiceLinkInMobiservePort_isRefusedWithTheFix() {
    assertThatThrownBy(() -> parse(Map.of("MOBISERVE_PORT", "tcp://10.96.0.12:8500"), "serve"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("MOBISERVE_PORT=tcp://10.96.0.12:8500: ")
        .hasMessageContaining("enableServiceLinks: false");
  }

  @Test
  void aBadValueIsRefused_evenWhenAFlagWouldOverrideIt() {
    // Refusing at once is simpler to reason about than a variable that breaks only when the flag is removed.
    assertThatThrownBy(() -> parse(Map.of("MOBISERVE_PORT", "eighty"), "serve", "--port", "80"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("MOBISERVE_PORT=eighty: ");
  }

  @Test
  void unknownAndEmptyVariablesAndOthersAreIgnored() {
    ServeCommand serve = parse(Map.of("MOBISERVE_MEMORY_BUDGET_MB", "1536", "MOBISERVE_SERVICE_HOST", "10.0.0.1",
        "MOBISERVE_MAX_BATCH", " ", "MAX_BATCH", "3", "MOBISERVE_HELP", "true"), "serve");

    assertThat(serve.runtimeOptions.maxBatch).isEqualTo(16);
    assertThat(serve.port).isEqualTo(8500);
  }

  @Test
  void withoutVariables_theConfigFileStaysTheProvider() throws IOException {
    Path file = config("max-batch = 8\n");
    CommandLine serve = Main.commandLine().getSubcommands().get("serve");
    ConfigFile.install(serve, List.of("serve", "--config", file.toString()));
    CommandLine.IDefaultValueProvider before = serve.getDefaultValueProvider();

    EnvironmentDefaults.install(serve, Map.of("PATH", "/usr/bin", "MOBISERVE_NOT_AN_OPTION", "1"));

    assertThat(serve.getDefaultValueProvider()).isSameAs(before);
  }
}
