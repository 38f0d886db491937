package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar is small and still complete: at most {@code mobiserve.jar.maxBytes} (60 MB by default),
 * native libraries for one platform only, and every JNI library JavaCPP will load for the presets the code
 * uses. JavaCPP loads the JNI of every preset a preset inherits from (TensorRT's nvinfer inherits cuBLAS, cuDNN
 * and NVRTC; OpenCV's core inherits OpenBLAS), so the pom's filters must keep exactly those: this test walks the
 * inheritance instead of trusting a list. The pom says which jar the build makes (all-platforms, cpu-only).
 */
class SlimJarIT {
  /** The presets the code loads: OpenCV in preprocess/, TensorRT's parser and CUDA's runtime in engine/tensorrt/. */
  private static final List<String> CPU_PRESETS = List.of("org.bytedeco.opencv.presets.opencv_imgcodecs");
  private static final List<String> GPU_PRESETS =
      List.of("org.bytedeco.tensorrt.presets.nvonnxparser", "org.bytedeco.cuda.presets.cudart");

  private static Path jar;
  private static Set<String> entries;
  private static String platform;

  @BeforeAll
  static void readJar() throws IOException {
    jar = Path.of(System.getProperty("mobiserve.jar", "target/mobiserve.jar"));
    entries = new LinkedHashSet<>();
    try (JarFile file = new JarFile(jar.toFile())) {
      file.stream().map(ZipEntry::getName).forEach(entries::add);
    }
    platform = Loader.getPlatform();
  }

  private static boolean gpuBindings() {
    return Boolean.parseBoolean(System.getProperty("mobiserve.jar.gpuBindings", "true"));
  }

  private static boolean allPlatforms() {
    return System.getProperty("mobiserve.jar.platforms", platform).equals("all");
  }

  @Test
  void jar_isWithinItsSizeLimit() throws IOException {
    long limit = Long.parseLong(System.getProperty("mobiserve.jar.maxBytes", "60000000"));
    long size = Files.size(jar);

    assertThat(size).as("%s is %.1f MB; the limit is %.1f MB (pom.xml: mobiserve.jar.maxBytes and the shade filters)",
        jar, size / 1e6, limit / 1e6).isLessThanOrEqualTo(limit);
  }

  @Test
  void jar_carriesNativeLibrariesForOnePlatformOnly() {
    if (allPlatforms()) {
      assertThat(entries).as("-Pall-platforms keeps ONNX Runtime's macOS libraries")
          .anyMatch(name -> name.startsWith("ai/onnxruntime/native/osx-"));
      return;
    }
    assertThat(entries).filteredOn(name -> name.startsWith("ai/onnxruntime/native/") && !name.endsWith("/"))
        .isNotEmpty()
        .allMatch(name -> name.startsWith("ai/onnxruntime/native/linux-x64/"));
    assertThat(entries).filteredOn(name -> name.startsWith("META-INF/native/") && !name.endsWith("/"))
        .isNotEmpty()
        .allMatch(name -> name.endsWith("_x86_64.so"));
    assertThat(entries).filteredOn(name -> name.matches("org/bytedeco/[a-z]+/[a-z]+-[a-z0-9_]+/.+"))
        .isNotEmpty()
        .allMatch(name -> name.split("/")[3].equals(platform));
    assertThat(entries).as("OpenCV modules preprocess/ does not use")
        .noneMatch(name -> name.contains("libopencv_dnn") || name.contains("cv2.cpython"));
  }

  @Test
  void jar_hasTheJniOfEveryPresetTheOpenCvPresetsInherit() throws Exception {
    assertThat(entries).containsAll(jniLibraries(CPU_PRESETS));
  }

  @Test
  void jar_hasTheJniOfEveryPresetTheTensorRtPresetsInherit_orNoCudaAtAllWhenCpuOnly() throws Exception {
    if (gpuBindings()) {
      assertThat(entries).containsAll(jniLibraries(GPU_PRESETS));
    } else {
      assertThat(entries)
          .noneMatch(name -> name.startsWith("org/bytedeco/cuda/") || name.startsWith("org/bytedeco/tensorrt/"));
    }
  }

  /** The jar entries of the JNI libraries JavaCPP loads for {@code presets} and all they inherit. */
  private static Set<String> jniLibraries(List<String> presets) throws Exception {
    Set<String> libraries = new LinkedHashSet<>();
    Deque<Class<?>> todo = new ArrayDeque<>();
    for (String preset : presets) {
      todo.add(Class.forName(preset, false, SlimJarIT.class.getClassLoader()));
    }
    Set<Class<?>> seen = new LinkedHashSet<>();
    while (!todo.isEmpty()) {
      Class<?> preset = todo.poll();
      if (!seen.add(preset)) {
        continue;
      }
      Properties properties = preset.getAnnotation(Properties.class);
      if (properties != null) {
        for (Class<?> inherited : properties.inherit()) {
          todo.add(inherited);
        }
      }
      String library = Loader.loadProperties(preset, Loader.loadProperties(), false).getProperty("platform.library");
      if (library != null && !library.isEmpty()) {
        // org.bytedeco.cuda.presets.cublas -> org/bytedeco/cuda/linux-x86_64/libjnicublas.so
        String module = preset.getName().split("\\.")[2];
        libraries.add("org/bytedeco/" + module + "/" + platform + "/lib" + library + ".so");
      }
    }
    assertThat(libraries).as("JNI libraries of %s", seen).isNotEmpty();
    return libraries;
  }
}
