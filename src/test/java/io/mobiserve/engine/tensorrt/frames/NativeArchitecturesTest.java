package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The GPU generations native/'s kernels carry machine code for: every one from Turing to Blackwell, so
 * that none depends on the driver's PTX JIT (which needs a driver at least as new as the toolkit).
 */
class NativeArchitecturesTest {
  private static final Path MAKEFILE = Path.of("native/Makefile");
  private static final Pattern SASS = Pattern.compile("code=sm_(\\d+)");
  private static final Pattern PTX = Pattern.compile("code=compute_(\\d+)");
  /** Turing, Ampere (A100; A10/RTX 30), Ada, Hopper, Blackwell data centre, Blackwell RTX. */
  private static final Set<Integer> GENERATIONS = Set.of(75, 80, 86, 89, 90, 100, 120);

  @Test
  void makefile_buildsMachineCodeForEveryGenerationFromTuringToBlackwell_andPtxForTheRest() throws IOException {
    String makefile = Files.readString(MAKEFILE);

    assertThat(all(SASS, makefile)).containsAll(GENERATIONS);
    assertThat(all(PTX, makefile)).isNotEmpty();
  }

  @Test
  void nvcc_acceptsEveryArchitectureTheMakefileNames() throws Exception {
    Path nvcc = Path.of(System.getenv().getOrDefault("CUDA_HOME", "/usr/local/cuda"), "bin", "nvcc");
    assumeTrue(Files.isExecutable(nvcc), "no nvcc at " + nvcc);
    Process process = new ProcessBuilder(nvcc.toString(), "--list-gpu-code").redirectErrorStream(true).start();
    String codes = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    for (int sm : all(SASS, Files.readString(MAKEFILE))) {
      assertThat(codes.lines()).as("nvcc --list-gpu-code").contains("sm_" + sm);
    }
  }

  private static Set<Integer> all(Pattern pattern, String text) {
    Set<Integer> found = new TreeSet<>();
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      found.add(Integer.parseInt(matcher.group(1)));
    }
    return found;
  }
}
