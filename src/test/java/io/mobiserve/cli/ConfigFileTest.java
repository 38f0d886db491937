package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {
  @TempDir
  Path dir;

  private ServeCommand parse(String... args) {
    CommandLine line = Main.commandLine();
    CommandLine serve = line.getSubcommands().get("serve");
    ConfigFile.install(serve, List.of(args));
    line.parseArgs(args);
    return serve.getCommand();
  }

  private Path config(String text) throws IOException {
    Path file = dir.resolve("mobiserve.properties");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void install_makesTheFilesValuesTheDefaults() throws IOException {
    Path file = config("port = 9100\nmax-batch=8\nmodel-cache=/tmp/models\n# a comment\n");

    ServeCommand serve = parse("serve", "--config", file.toString());

    assertThat(serve.port).isEqualTo(9100);
    assertThat(serve.runtimeOptions.maxBatch).isEqualTo(8);
    assertThat(serve.modelOptions.modelCache).isEqualTo(Path.of("/tmp/models"));
    assertThat(serve.maxImagesPerRequest).isEqualTo(64);
  }

  @Test
  void install_letsFlagsWinOverTheFile() throws IOException {
    Path file = config("port=9100\nmax-batch=8\n");

    ServeCommand serve = parse("serve", "--port", "9200", "--config=" + file);

    assertThat(serve.port).isEqualTo(9200);
    assertThat(serve.runtimeOptions.maxBatch).isEqualTo(8);
  }

  @Test
  void install_refusesAnUnknownSettingNamingIt() throws IOException {
    Path file = config("max-btch=8\n");

    assertThatThrownBy(() -> parse("serve", "--config", file.toString()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown setting 'max-btch'")
        .hasMessageContaining("max-batch");
  }

  @Test
  void install_leavesABadValueToBeRefusedNamingTheOption() throws IOException {
    Path file = config("max-batch=lots\n");

    assertThatThrownBy(() -> parse("serve", "--config", file.toString()))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--max-batch")
        .hasMessageContaining("lots");
  }

  @Test
  void install_refusesAMissingFile() {
    assertThatThrownBy(() -> parse("serve", "--config", dir.resolve("absent.properties").toString()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("absent.properties: cannot read it");
  }
}
