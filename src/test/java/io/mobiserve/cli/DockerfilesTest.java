package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What can be checked of the Dockerfiles without a Docker engine: that they build the jar without the
 * goal that fails, copy files that exist, run the jar the build makes as a fixed non-root user with a
 * writable cache, start the server with settings it accepts on the ports they expose, check its health with
 * the jar's own health command, size the JVM for a container, and let SIGTERM reach java. Each check here
 * failed on the Dockerfiles before they were fixed. scripts/image-test.sh builds and runs the CPU image.
 */
class DockerfilesTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final String JAR = "/opt/mobiserve/mobiserve.jar";
  private static final String CACHE = "/home/mobiserve/.cache/mobiserve";
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

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
  void resolvesDependenciesWithGoalsThatWork_notGoOffline(String name) throws IOException {
    // dependency:go-offline also resolves prometheus-metrics-annotations, which Maven Central does not serve.
    List<String> runs = lines(name, "RUN");
    assertThat(runs).noneMatch(run -> run.contains("dependency:go-offline"));
    assertThat(runs).anyMatch(run -> run.contains("./mvnw") && run.contains("dependency:resolve-plugins")
        && run.contains("dependency:resolve"));
  }

  @Test
  void cpuImage_buildsTheJarWithoutTheCudaBindings() throws IOException {
    assertThat(lines("Dockerfile.cpu", "RUN")).anyMatch(run -> run.contains("package") && run.contains("-Pcpu-only"));
    assertThat(Files.readString(ROOT.resolve("pom.xml"))).contains("<id>cpu-only</id>");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void runsTheJarTheBuildMakes(String name) throws IOException {
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    assertThat(pom).contains("<outputFile>${project.build.directory}/mobiserve.jar</outputFile>");
    List<List<String>> copies = instructions(name, "COPY");
    assertThat(copies).anySatisfy(copy ->
        assertThat(copy).containsExactly("--from=builder", "/src/target/mobiserve.jar", JAR));
    assertThat(jsonArray(name, "ENTRYPOINT")).endsWith("-jar", JAR);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void baseImagesAreBuildArgumentsWithDefaults(String name) throws IOException {
    List<String> all = logicalLines(name);
    int firstFrom = indexOf(all, "FROM ");
    Map<String, String> arguments = new LinkedHashMap<>();
    for (String line : all.subList(0, firstFrom)) {
      if (line.startsWith("ARG ")) {
        String[] nameValue = line.substring(4).trim().split("=", 2);
        arguments.put(nameValue[0], nameValue.length == 2 ? nameValue[1] : "");
      }
    }
    Set<String> stages = new TreeSet<>();
    for (List<String> from : instructions(name, "FROM")) {
      String image = from.get(0);
      if (!stages.contains(image)) {
        Matcher variable = VARIABLE.matcher(image);
        assertThat(variable.matches()).as("%s: FROM %s is not a build argument", name, image).isTrue();
        assertThat(arguments.get(variable.group(1))).as("%s: default of %s", name, image).isNotBlank();
      }
      if (from.size() == 3 && from.get(1).equalsIgnoreCase("AS")) {
        stages.add(from.get(2));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void runsAsAFixedNonRootUserThatOwnsTheCacheVolume(String name) throws IOException {
    List<String> all = logicalLines(name);
    List<String> user = instructions(name, "USER").get(0);
    assertThat(user).hasSize(1);
    // Numeric, so that Kubernetes' runAsNonRoot can verify it without reading the image's /etc/passwd.
    Matcher numeric = Pattern.compile("(\\d+):(\\d+)").matcher(user.get(0));
    assertThat(numeric.matches()).as("USER %s is uid:gid", user.get(0)).isTrue();
    String uid = numeric.group(1);
    assertThat(Integer.parseInt(uid)).isPositive();

    assertThat(jsonArray(name, "VOLUME")).containsExactly(CACHE);
    int userIndex = indexOf(all, "USER ");
    String creates = all.subList(0, userIndex).stream()
        .filter(line -> line.startsWith("RUN ") && line.contains("useradd")).findFirst().orElseThrow();
    assertThat(creates).contains("--uid " + uid).contains("--gid " + numeric.group(2))
        .contains("--home-dir /home/mobiserve")
        .containsPattern("mkdir -p [^&]*" + Pattern.quote(CACHE + "/models"))
        .containsPattern("mkdir -p [^&]*" + Pattern.quote(CACHE + "/engines"))
        .containsPattern("chown -R mobiserve:mobiserve /home/mobiserve/\\.cache\\b");
    assertThat(ServeCommand.defaultModelCache().toString()).endsWith("/.cache/mobiserve/models");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void startsTheServerWithSettingsItAcceptsOnThePortsItExposes(String name) throws IOException {
    List<String> command = jsonArray(name, "CMD");
    assertThat(command.get(0)).isEqualTo("serve");
    Map<String, String> environment = environment(name);
    CommandLine serve = Main.commandLine().getSubcommands().get("serve");
    Set<String> known = new TreeSet<>();
    for (OptionSpec option : serve.getCommandSpec().options()) {
      known.add(EnvironmentDefaults.variable(option));
    }
    assertThat(environment.keySet()).filteredOn(key -> key.startsWith(EnvironmentDefaults.PREFIX))
        .as("every MOBISERVE_ variable names a serve option").isSubsetOf(known);

    // picocli throws on any option serve does not have, or a value it cannot convert; so does the environment.
    CommandLine line = Main.commandLine();
    EnvironmentDefaults.install(line.getSubcommands().get("serve"), environment);
    line.parseArgs(command.toArray(String[]::new));
    ServeCommand settings = line.getSubcommands().get("serve").getCommand();

    List<String> exposed = instructions(name, "EXPOSE").get(0);
    assertThat(exposed).contains(String.valueOf(settings.port), String.valueOf(settings.metricsPort));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void checksHealthWithTheJarsHealthCommandOnTheServedPort(String name) throws IOException {
    List<String> healthcheck = lines(name, "HEALTHCHECK");
    assertThat(healthcheck).hasSize(1);
    String instruction = healthcheck.get(0);
    assertThat(instruction).contains("--start-period=").contains("--interval=").contains("--timeout=");
    List<String> shell = jsonArray(instruction.substring(instruction.indexOf("CMD ") + 4));
    assertThat(shell.subList(0, 2)).containsExactly("sh", "-c");
    String script = shell.get(2);
    assertThat(script).startsWith("exec java ").contains("-jar " + JAR + " health ");

    // The port the check asks is the one the server listens on, with the image's environment: the plaintext
    // health port when one is set (the gRPC port may speak TLS then), else the gRPC port.
    Map<String, String> environment = environment(name);
    String port = environment.getOrDefault("MOBISERVE_PORT", "8500");
    String expanded = script.replace("${MOBISERVE_HEALTH_PORT:-${MOBISERVE_PORT:-8500}}",
        environment.getOrDefault("MOBISERVE_HEALTH_PORT", port));
    assertThat(expanded).doesNotContain("$");
    String[] health = expanded.substring(expanded.indexOf(" health ") + 1).trim().split("\\s+");
    CommandLine line = Main.commandLine();
    line.parseArgs(health);
    HealthCommand check = line.getSubcommands().get("health").getCommand();
    assertThat(check.target).isEqualTo("127.0.0.1:" + environment.get("MOBISERVE_PORT"));
    Matcher timeout = Pattern.compile("--timeout=(\\d+)s").matcher(instruction);
    assertThat(timeout.find()).isTrue();
    assertThat(check.timeout.getSeconds()).isLessThan(Long.parseLong(timeout.group(1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void sizesTheJvmForAContainerWithFlagsThisJvmAccepts(String name) throws Exception {
    String options = environment(name).get("JDK_JAVA_OPTIONS");
    assertThat(options).isNotNull().contains("-XX:+ExitOnOutOfMemoryError");
    Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+(\\.\\d+)?)").matcher(options);
    assertThat(percentage.find()).as(options).isTrue();
    // Direct buffers may take as much again as the heap (MaxDirectMemorySize defaults to the max heap), and
    // ONNX Runtime's native memory needs room besides.
    assertThat(Double.parseDouble(percentage.group(1))).isBetween(25.0, 45.0);

    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(options.split("\\s+")));
    command.add("-version");
    Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(java.getInputStream().readAllBytes());
    assertThat(java.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(java.exitValue()).as("java %s -version:%n%s", options, output).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void letsSigtermReachJava(String name) throws IOException {
    assertThat(instructions(name, "STOPSIGNAL")).containsExactly(List.of("SIGTERM"));
    // Exec form (a JSON array), so that java is PID 1 and no shell swallows the signal.
    assertThat(jsonArray(name, "ENTRYPOINT").get(0)).isEqualTo("java");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Dockerfile.cpu", "Dockerfile.gpu"})
  void unpacksNativeLibrariesUnderTmp_soTheRootFilesystemCanBeReadOnly(String name) throws IOException {
    assertThat(jsonArray(name, "ENTRYPOINT")).anyMatch(arg -> arg.startsWith("-Dorg.bytedeco.javacpp.cachedir=/tmp/"));
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

  @Test
  void compose_givesCallsInFlightTheirShutdownGrace() throws IOException {
    String compose = Files.readString(ROOT.resolve("docker/compose.yaml"));
    Matcher grace = Pattern.compile("stop_grace_period: (\\d+)s").matcher(compose);
    int services = 0;
    while (grace.find()) {
      services++;
      assertThat(Integer.parseInt(grace.group(1))).isGreaterThan(30);
    }
    assertThat(services).isEqualTo(2);
    assertThat(compose).contains("\"9090:9090\"").contains("- mobiserve-cache:" + CACHE);
  }

  /** The image's environment: every ENV instruction's KEY=VALUE pairs, quotes removed. */
  private static Map<String, String> environment(String dockerfile) throws IOException {
    Map<String, String> environment = new LinkedHashMap<>();
    Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"([^\"]*)\"|(\\S*))");
    for (String line : lines(dockerfile, "ENV")) {
      Matcher matcher = pair.matcher(line.substring(4));
      while (matcher.find()) {
        environment.put(matcher.group(1), matcher.group(3) != null ? matcher.group(3) : matcher.group(4));
      }
    }
    return environment;
  }

  private static int indexOf(List<String> lines, String prefix) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith(prefix)) {
        return i;
      }
    }
    throw new AssertionError("no " + prefix.trim() + " instruction");
  }

  private static List<String> jsonArray(String dockerfile, String keyword) throws IOException {
    List<String> lines = lines(dockerfile, keyword);
    assertThat(lines).as("%s in %s", keyword, dockerfile).hasSize(1);
    return jsonArray(lines.get(0).substring(keyword.length() + 1));
  }

  private static List<String> jsonArray(String json) {
    List<String> values = new ArrayList<>();
    JsonParser.parseString(json).getAsJsonArray().forEach(element -> values.add(element.getAsString()));
    return values;
  }

  /** The whole text of every {@code keyword} instruction. */
  private static List<String> lines(String dockerfile, String keyword) throws IOException {
    return logicalLines(dockerfile).stream().filter(l -> l.startsWith(keyword + " ")).toList();
  }

  /** The whitespace-separated arguments of every {@code keyword} instruction. */
  private static List<List<String>> instructions(String dockerfile, String keyword) throws IOException {
    List<List<String>> found = new ArrayList<>();
    for (String line : lines(dockerfile, keyword)) {
      found.add(List.of(line.substring(keyword.length() + 1).trim().split("\\s+")));
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
