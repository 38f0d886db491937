package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code docker/check-gpu-runtime.sh}, the GPU image's check that every library the JNI loads is there and
 * TensorRT is the bindings' release, run against a library directory made here: no Docker, no GPU.
 */
class GpuImageLibrariesTest {
  private static final Path ROOT = Path.of("").toAbsolutePath();
  private static final Path SCRIPT = ROOT.resolve("docker/check-gpu-runtime.sh");
  private static final List<String> JNI_LIBRARIES = List.of("libcudart.so.13", "libcublas.so.13",
      "libcublasLt.so.13", "libnvrtc.so.13", "libcudnn_cnn.so.9", "libcudnn_adv.so.9", "libcudnn_ops.so.9",
      "libcudnn_graph.so.9", "libnvinfer.so.10", "libnvinfer_plugin.so.10", "libnvonnxparser.so.10");

  @TempDir Path lib;

  private record Run(int exit, String output) {}

  /** A TensorRT image's library directory: sonames linking to versioned files, as the packages install them. */
  private void tensorRtImage(String tensorRtVersion) throws IOException {
    for (String soname : JNI_LIBRARIES) {
      String file = soname.startsWith("libnv") && soname.endsWith(".so.10")
          ? soname.substring(0, soname.length() - 2) + tensorRtVersion
          : soname + ".1.0";
      Files.writeString(lib.resolve(file), "ELF");
      Files.createSymbolicLink(lib.resolve(soname), Path.of(file));
    }
    Files.writeString(lib.resolve("libnvinfer_builder_resource_ptx.so." + tensorRtVersion), "ELF");
    Files.writeString(lib.resolve("libnvinfer_builder_resource_sm90.so." + tensorRtVersion), "ELF");
  }

  private Run check() throws Exception {
    Process process = new ProcessBuilder("bash", SCRIPT.toString(), lib.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  @Test
  void completeImageWithTensorRt10_15_passes_namingEachLibrary() throws Exception {
    tensorRtImage("10.15.1");

    Run run = check();

    assertThat(run.exit()).as(run.output()).isZero();
    for (String library : JNI_LIBRARIES) {
      assertThat(run.output()).contains("ok       " + library);
    }
    assertThat(run.output()).contains("ok       TensorRT 10.15.1")
        .contains("libnvinfer_builder_resource_ptx.so.10.15.1").contains("sm90");
  }

  @ParameterizedTest
  @ValueSource(strings = {"libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libnvrtc.so.13",
      "libcudnn_cnn.so.9", "libcudnn_adv.so.9", "libcudnn_ops.so.9", "libcudnn_graph.so.9", "libnvinfer.so.10",
      "libnvinfer_plugin.so.10", "libnvonnxparser.so.10"})
  void anyMissingJniLibrary_failsTheBuildNamingIt(String library) throws Exception {
    tensorRtImage("10.15.1");
    Files.delete(lib.resolve(library));

    Run run = check();

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("MISSING  " + library).contains("missing or wrong: " + library);
  }

  @Test
  void anotherTensorRtRelease_failsSayingWhichWasFoundAndWhichIsNeeded() throws Exception {
    tensorRtImage("10.13.3");

    Run run = check();

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("found TensorRT 10.13.3, this image needs 10.15");
  }

  @Test
  void missingBuilderResource_failsTheBuild() throws Exception {
    tensorRtImage("10.15.1");
    Files.delete(lib.resolve("libnvinfer_builder_resource_ptx.so.10.15.1"));

    Run run = check();

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("MISSING  libnvinfer_builder_resource_ptx.so.10.15.1");
  }

  @Test
  void builderResourceOfAnotherPatchRelease_doesNotCount() throws Exception {
    tensorRtImage("10.15.1");
    Files.move(lib.resolve("libnvinfer_builder_resource_ptx.so.10.15.1"),
        lib.resolve("libnvinfer_builder_resource_ptx.so.10.15.0"));

    assertThat(check().exit()).isEqualTo(1);
  }

  @Test
  void theScriptChecksTheVersionsThePomBuildsAgainst() throws IOException {
    String pom = Files.readString(ROOT.resolve("pom.xml"));
    String script = Files.readString(SCRIPT);

    Matcher tensorRt = Pattern.compile("<tensorrt.version>(\\d+\\.\\d+)-").matcher(pom);
    Matcher cuda = Pattern.compile("<cuda.version>(\\d+)\\.\\d+-(\\d+)\\.").matcher(pom);
    assertThat(tensorRt.find()).isTrue();
    assertThat(cuda.find()).isTrue();
    assertThat(script).contains("TENSORRT_VERSION=\"${TENSORRT_VERSION:-" + tensorRt.group(1) + "}\"")
        .contains("CUDA_MAJOR=\"${CUDA_MAJOR:-" + cuda.group(1) + "}\"")
        .contains("CUDNN_MAJOR=\"${CUDNN_MAJOR:-" + cuda.group(2) + "}\"");
  }

  @Test
  void theGpuImageRunsTheCheckOnce_inItsRuntimeStage_andItsBuildStageHasACompiler() throws IOException {
    List<String> lines = Files.readAllLines(ROOT.resolve("docker/Dockerfile.gpu"));
    int runtimeStage = -1;
    int checks = 0;
    int checkLine = -1;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("FROM ${TENSORRT_IMAGE}")) {
        runtimeStage = i;
      }
      if (line.startsWith("RUN ") && line.contains("check-gpu-runtime.sh")) {
        checks++;
        checkLine = i;
      }
    }
    String dockerfile = String.join("\n", lines);

    assertThat(checks).as("RUN lines calling check-gpu-runtime.sh").isEqualTo(1);
    assertThat(checkLine).isGreaterThan(runtimeStage).isGreaterThan(0);
    assertThat(lines.get(checkLine)).contains("source=docker/check-gpu-runtime.sh");
    assertThat(dockerfile).as("the old one-library check is gone").doesNotContain("grep -q 'libnvinfer.so.10 '");
    // JavaCPP's build goal compiles the kernels' JNI with the system C++ compiler.
    assertThat(dockerfile.substring(0, dockerfile.indexOf("FROM ${TENSORRT_IMAGE}"))).containsPattern(
        "apt-get install[^\\n]* g\\+\\+");
  }
}
