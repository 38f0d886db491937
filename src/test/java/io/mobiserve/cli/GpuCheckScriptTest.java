package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/gpu-check.sh}, the one command a GPU owner runs, checked where there is no GPU: its verdicts
 * from test reports made here, and the throughput comparison it and docs/gpu.md print against trtexec.
 */
class GpuCheckScriptTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path SCRIPT = ROOT.resolve("scripts/gpu-check.sh");
  private static final Pattern OPTION = Pattern.compile("--(concurrency|instances) (\\S+)");
  /** The tests each verdict reads, as the GPU suite names them. */
  private static final Map<String, List<String>> SUITE = Map.of(
      "TensorRtParityGpuTest", List.of("fp32_digitsAgreeWithOnnxRuntime", "fp16_digitsAgreeWithOnnxRuntime"),
      "GpuPreprocessParityGpuTest", List.of("floatKernel_matchesTheReferenceForAMixedBatch"),
      "TensorRtFramesGpuTest", List.of("mixedBatch_givesEachFrameItsOwnRow"),
      "TensorRtBuildGpuTest", List.of("secondFactory_loadsTheEngineFromTheCache_withoutRebuilding"),
      "TensorRtServeGpuIT", List.of("servesOnTheGpu_thenRestartsFromTheEngineCache"),
      "StickyErrorGpuTest", List.of("injectedStickyError(String)[1]", "injectedStickyError(String)[2]"));

  @TempDir Path reports;

  @Test
  void everyBenchThatRunsTwoBatchesAtOnce_hasTwoEngineInstancesToRunThem() throws IOException {
    List<String> benches = new ArrayList<>(benchCommands(SCRIPT));
    benches.addAll(benchCommands(ROOT.resolve("docs/gpu.md")));

    assertThat(benches).hasSizeGreaterThanOrEqualTo(2);
    for (String bench : benches) {
      Matcher option = OPTION.matcher(bench);
      String concurrency = "1";
      String instances = "1";
      while (option.find()) {
        if (option.group(1).equals("concurrency")) {
          concurrency = option.group(2);
        } else {
          instances = option.group(2);
        }
      }
      assertThat(instances).as("--instances of: %s", bench).isEqualTo(concurrency);
    }
  }

  @Test
  void theScriptsBenchCommand_parsesWithTheRealCli() throws IOException {
    for (String bench : benchCommands(SCRIPT)) {
      String concrete = bench.replace("\"$batch\"", "64").replace("\"${duration}s\"", "30s")
          .replace("\"$out/bench.json\"", "target/bench.json");
      String[] args = concrete.substring(concrete.indexOf("bench ")).split("\\s+");
      assertThat(concrete).doesNotContain("$");
      // picocli throws on any option bench does not have, or a value it cannot convert.
      Main.commandLine().parseArgs(args);
    }
  }

  @Test
  void allSuiteChecksPassing_givesAVerdictEach_andOnlySkipsWhatCannotRunHere() throws Exception {
    writeReports(null);

    Run run = check();

    assertThat(run.exit).as(run.output).isEqualTo(77); // the GPU, the kernels and trtexec were not run here
    for (String check : List.of("parity", "fp16-parity", "preprocessing", "cache-reuse", "failover")) {
      assertThat(run.output).containsPattern("\\n  " + check + " +ok ");
    }
    assertThat(run.output).containsPattern("\\n  throughput +SKIPPED +--no-trtexec");
    assertThat(run.output).doesNotContain("FAILED");
  }

  @Test
  void aFailedFp16Case_failsTheRun_namingIt() throws Exception {
    writeReports("fp16_digitsAgreeWithOnnxRuntime");

    Run run = check();

    assertThat(run.exit).as(run.output).isEqualTo(1);
    assertThat(run.output).containsPattern("\\n  fp16-parity +FAILED +TensorRtParityGpuTest#fp16_ failed")
        .containsPattern("\\n  parity +ok ");
  }

  @Test
  void aCheckWhoseTestsDidNotRun_isAFailureNotAPass() throws Exception {
    writeReports(null);
    Files.delete(reports.resolve("surefire-reports/TEST-io.mobiserve.engine.tensorrt.StickyErrorGpuTest.xml"));

    Run run = check();

    assertThat(run.exit).as(run.output).isEqualTo(1);
    assertThat(run.output).containsPattern("\\n  failover +FAILED +StickyErrorGpuTest#injectedStickyError did not run");
  }

  @Test
  void aSkippedGpuTest_isReportedAsSkipped() throws Exception {
    writeReports(null);
    Path report = reports.resolve("surefire-reports/TEST-io.mobiserve.engine.tensorrt.TensorRtBuildGpuTest.xml");
    Files.writeString(report, Files.readString(report).replace("/></testsuite>",
        "><skipped message=\"skipped: no NVIDIA driver\"/></testcase></testsuite>"));

    Run run = check();

    assertThat(run.output).containsPattern("\\n  cache-reuse +SKIPPED ");
  }

  @Test
  void withoutJava_everyCheckTheSuiteGivesIsSkipped_sayingWhy(@TempDir Path bin) throws Exception {
    writeReports(null); // reports of an earlier run must not stand in for a suite that did not run

    ProcessBuilder builder = new ProcessBuilder("bash", SCRIPT.toString(), "--no-kernels", "--no-trtexec",
        "--reports", reports.toString());
    builder.environment().put("PATH", pathWithout("java", bin));
    builder.environment().remove("JAVA_HOME"); // nor a Maven run that could find one
    Run run;
    try {
      run = run(builder);
    } finally {
      deleteLinks(bin); // before JUnit's clean-up, which warns about every link to outside its directory
    }

    assertThat(run.exit).as(run.output).isEqualTo(77);
    assertThat(run.output).containsPattern("\\n  suite +SKIPPED +no java on the PATH");
    for (String check : List.of("parity", "fp16-parity", "preprocessing", "cache-reuse", "failover")) {
      assertThat(run.output)
          .containsPattern("\\n  " + check + " +SKIPPED +the suite did not run: no java on the PATH");
    }
    assertThat(run.output).doesNotContain("FAILED");
  }

  /** A PATH of one directory, {@code bin}, linking to every command of this PATH but {@code command}. */
  private static String pathWithout(String command, Path bin) throws IOException {
    for (String dir : System.getenv("PATH").split(File.pathSeparator)) {
      if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) {
        continue;
      }
      try (Stream<Path> files = Files.list(Path.of(dir))) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Path link = bin.resolve(file.getFileName().toString());
          if (!file.getFileName().toString().equals(command) && Files.isExecutable(file) && !Files.isDirectory(file)
              && !Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
            Files.createSymbolicLink(link, file.toAbsolutePath());
          }
        }
      }
    }
    return bin.toString();
  }

  private static void deleteLinks(Path bin) throws IOException {
    try (Stream<Path> links = Files.list(bin)) {
      for (Path link : (Iterable<Path>) links::iterator) {
        Files.delete(link);
      }
    }
  }

  private record Run(int exit, String output) {}

  private Run check() throws Exception {
    return run(new ProcessBuilder("bash", SCRIPT.toString(), "--no-kernels", "--no-maven", "--no-trtexec",
        "--reports", reports.toString()));
  }

  private static Run run(ProcessBuilder builder) throws Exception {
    Process process = builder.redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  /** Surefire/failsafe reports of the GPU suite, every test passed but {@code failing} (a method name). */
  private void writeReports(String failing) throws IOException {
    Path surefire = Files.createDirectories(reports.resolve("surefire-reports"));
    Path failsafe = Files.createDirectories(reports.resolve("failsafe-reports"));
    for (Map.Entry<String, List<String>> suite : SUITE.entrySet()) {
      String pkg = suite.getKey().contains("Preprocess") || suite.getKey().contains("Frames")
          ? "io.mobiserve.engine.tensorrt.frames" : suite.getKey().endsWith("IT") ? "io.mobiserve.cli"
          : "io.mobiserve.engine.tensorrt";
      StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"")
          .append(pkg).append('.').append(suite.getKey()).append("\">");
      for (String test : suite.getValue()) {
        xml.append("<testcase name=\"").append(test).append("\" classname=\"").append(pkg).append('.')
            .append(suite.getKey()).append("\" time=\"1.0\"");
        xml.append(test.equals(failing) ? "><failure message=\"expected: 0.05\"/></testcase>" : "/>");
      }
      xml.append("</testsuite>\n");
      Path dir = suite.getKey().endsWith("IT") ? failsafe : surefire;
      Files.writeString(dir.resolve("TEST-" + pkg + "." + suite.getKey() + ".xml"), xml);
    }
  }

  /** The {@code bench --in-process} commands in {@code file}, with their continuation lines joined. */
  private static List<String> benchCommands(Path file) throws IOException {
    List<String> commands = new ArrayList<>();
    StringBuilder current = null;
    for (String line : Files.readAllLines(file)) {
      String trimmed = line.strip();
      if (current == null && trimmed.contains("mobiserve.jar bench --in-process")) {
        current = new StringBuilder();
      }
      if (current != null) {
        boolean continues = trimmed.endsWith("\\");
        current.append(continues ? trimmed.substring(0, trimmed.length() - 1) : trimmed).append(' ');
        if (!continues) {
          String command = current.toString().replaceAll("\\s+#.*$", "").strip();
          commands.add(command.replaceAll(" (>|2>).*$", ""));
          current = null;
        }
      }
    }
    return commands;
  }
}
