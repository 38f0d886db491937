package io.mobiserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged jar run as a user runs it, {@code java -jar target/mobiserve.jar ...}, in processes of its own:
 * what the {@code *IT} tests drive.
 */
public final class MobiserveJar {
  private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+)");

  private MobiserveJar() {}

  /** How a finished command ended. */
  public record Run(int exitCode, String out, String err) {}

  /** {@code java -jar mobiserve.jar args...}, not started. */
  public static ProcessBuilder command(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("mobiserve.jar", "target/mobiserve.jar")));
    command.addAll(List.of(args));
    return new ProcessBuilder(command);
  }

  /** Runs a command to its end (at most two minutes), its output in files under {@code work}. */
  public static Run run(Path work, Map<String, String> environment, String... args) throws Exception {
    Path out = Files.createTempFile(work, "out", ".txt");
    Path err = Files.createTempFile(work, "err", ".txt");
    ProcessBuilder builder = command(args);
    builder.environment().putAll(environment);
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("mobiserve %s finished", List.of(args)).isTrue();
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** A {@code serve} process, started and serving. */
  public record Server(Process process, Path log, int port) {
    /** The first group of {@code pattern} in the log, e.g. a port it printed. */
    public String logged(Pattern pattern) throws Exception {
      Matcher matcher = pattern.matcher(Files.readString(log));
      assertThat(matcher.find()).as("%s in the log:%n%s", pattern, Files.readString(log)).isTrue();
      return matcher.group(1);
    }

    /** The metrics port's {@code /metrics}, when the server has one. */
    public String metrics() throws Exception {
      String url = logged(Pattern.compile("metrics at (\\S+)"));
      try (var in = java.net.URI.create(url).toURL().openStream()) {
        return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
    }

    public void kill() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }

  /**
   * Starts {@code serve args...} with its output in {@code log} and waits (at most three minutes) until it
   * serves.
   */
  public static Server serve(Path log, Map<String, String> environment, String... args) throws Exception {
    List<String> serve = new ArrayList<>(List.of("serve"));
    serve.addAll(List.of(args));
    ProcessBuilder builder = command(serve.toArray(String[]::new));
    builder.environment().putAll(environment);
    Process process = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      String text = Files.readString(log);
      Matcher listening = LISTENING.matcher(text);
      if (listening.find() && text.contains("serving ")) {
        return new Server(process, log, Integer.parseInt(listening.group(1)));
      }
      assertThat(process.isAlive()).as("server exited early:%n%s", text).isTrue();
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new AssertionError("the server did not start serving in time:\n" + Files.readString(log));
  }
}
