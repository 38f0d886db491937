package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What can be checked of the Dockerfiles without a Docker engine: that they copy files that exist, run the
 * jar the build makes, and start the server with options it accepts and ports it exposes. Keeps them from
 * rotting while nobody here can build them.
 */
class DockerfilesTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Pattern FLAG_VALUE = Pattern.compile("^--([a-z-]+)$");

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void copiesOnlyWhatTheCheckoutHas(String name) throws IOException {
    for (List<String> copy : instructions(name, "COPY")) {
      if (copy.get(0).startsWith("--from=")) {
        continue;
      }
      for (String source : copy.subList(0, copy.size() - 1)) {
        assertThat(ROOT.resolve(source)).as("%s copies %s", name, source).exists();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void runsTheJarTheBuildMakes(String name) throws IOException {
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    assertThat(pom).contains("<outputFile>${project.build.directory}/mobiserve.jar</outputFile>");
    List<List<String>> copies = instructions(name, "COPY");
    assertThat(copies).anySatisfy(copy ->
        assertThat(copy).containsExactly("--from=builder", "/src/target/mobiserve.jar", "/opt/mobiserve/mobiserve.jar"));
    assertThat(jsonArray(name, "ENTRYPOINT")).endsWith("-jar", "/opt/mobiserve/mobiserve.jar");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void startsTheServerWithOptionsItAcceptsOnThePortsItExposes(String name) throws IOException {
    List<String> command = jsonArray(name, "CMD");
    assertThat(command.get(0)).isEqualTo("serve");
    // picocli throws on any option serve does not have, or a value it cannot convert.
    Main.commandLine().parseArgs(command.toArray(String[]::new));

    List<String> exposed = instructions(name, "EXPOSE").get(0);
    assertThat(exposed).contains(optionValue(command, "port"), optionValue(command, "metrics-port"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void ignoresBuildOutputs(String name) throws IOException {
    List<String> ignored = Files.readAllLines(ROOT.resolve("docker").resolve(name + ".dockerignore"));
    assertThat(ignored).contains("target", ".git", "**/node_modules");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void composeBuildsIt(String name) throws IOException {
    assertThat(Files.readString(ROOT.resolve("docker/compose.yaml"))).contains("dockerfile: docker/" + name);
  }

  private static String optionValue(List<String> command, String option) {
    for (int i = 1; i < command.size() - 1; i++) {
      Matcher flag = FLAG_VALUE.matcher(command.get(i));
      if (flag.matches() && flag.group(1).equals(option)) {
        return command.get(i + 1);
      }
    }
    throw new AssertionError("CMD has no --" + option + ": " + command);
  }

  private static List<String> jsonArray(String dockerfile, String keyword) throws IOException {
    List<String> lines = logicalLines(dockerfile).stream().filter(l -> l.startsWith(keyword + " ")).toList();
    assertThat(lines).as("%s in %s", keyword, dockerfile).hasSize(1);
    List<String> values = new ArrayList<>();
    JsonParser.parseString(lines.get(0).substring(keyword.length() + 1))
        .getAsJsonArray()
        .forEach(element -> values.add(element.getAsString()));
    return values;
  }

  /** The whitespace-separated arguments of every {@code keyword} instruction. */
  private static List<List<String>> instructions(String dockerfile, String keyword) throws IOException {
    List<List<String>> found = new ArrayList<>();
    for (String line : logicalLines(dockerfile)) {
      if (line.startsWith(keyword + " ")) {
        found.add(List.of(line.substring(keyword.length() + 1).trim().split("\\s+")));
      }
    }
    assertThat(found).as("%s in %s", keyword, dockerfile).isNotEmpty();
    return found;
  }

  /** Instructions with their backslash continuations joined, without comments and blank lines. */
  private static List<String> logicalLines(String dockerfile) throws IOException {
    List<String> logical = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("docker").resolve(dockerfile))) {
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#")) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        current.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      logical.add(current.append(trimmed).toString());
      current.setLength(0);
    }
    return logical;
  }
}
