package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TensorRtAvailabilityTest {

  @Test
  void probe_saysWhatIsMissingOrWhichDeviceItFound_quickly_andTheSameTwice() {
    long started = System.nanoTime();
    TensorRtAvailability first = TensorRtAvailability.probe(0);
    TensorRtAvailability second = TensorRtAvailability.probe(0);
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.println("TensorRtAvailabilityTest: " + first + " in " + seconds + " s");

    assertThat(seconds).isLessThan(10);
    assertThat(second).isEqualTo(first);
    if (first.available()) {
      assertThat(first.device()).isPresent();
      assertThat(first.reason()).contains("TensorRT").contains(first.device().get().name());
    } else {
      assertThat(first.device()).isEmpty();
      // A sentence naming the missing piece, not a stack trace or a placeholder.
      assertThat(first.reason())
          .containsAnyOf("no NVIDIA driver (libcuda.so", "TensorRT not found (libnvinfer", "not found)",
              "cudaGetDeviceCount returned", "does not exist")
          .doesNotContain("\n");
    }
  }

  @Test
  void probe_onAHostWithoutDriver_namesTheDriver() {
    boolean driverInstalled = Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/compat")
        .anyMatch(dir -> Files.exists(Path.of(dir, "libcuda.so.1")));
    assumeFalse(driverInstalled, "a CUDA driver is installed here");

    TensorRtAvailability availability = TensorRtAvailability.probe(0);

    assertThat(availability.available()).isFalse();
    assertThat(availability.reason()).isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void probe_refusesNegativeDevice() {
    assertThatThrownBy(() -> TensorRtAvailability.probe(-1)).isInstanceOf(IllegalArgumentException.class);
  }


  /** The shape JavaCPP's Loader produces: its own message outside, the dynamic loader's inside. */
  private static Throwable loaderError(String dlopenMessage) {
    UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
    outer.initCause(new UnsatisfiedLinkError("/home/app/.javacpp/cache/x/libjnicudart.so: " + dlopenMessage));
    return outer;
  }

  @Test
  void describe_missingDriver() {
    assertThat(TensorRtAvailability.describeLinkFailure("cudart", loaderError("libcuda.so.1: cannot open shared object file: No such file")))
        .isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void describe_missingTensorRt() {
    assertThat(TensorRtAvailability.describeLinkFailure("nvinfer", loaderError("libnvinfer.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT not found (libnvinfer.so.10 not found)");
    assertThat(TensorRtAvailability.describeLinkFailure("nvinfer", loaderError("libnvinfer_plugin.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT not found (libnvinfer_plugin.so.10 not found)");
  }

  @Test
  void describe_missingParserRuntimeAndCudaLibraries() {
    assertThat(TensorRtAvailability.describeLinkFailure("p", loaderError("libnvonnxparser.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT's ONNX parser not found (libnvonnxparser.so.10 not found)");
    assertThat(TensorRtAvailability.describeLinkFailure("p", loaderError("libcudart.so.13: cannot open shared object file")))
        .isEqualTo("CUDA runtime not found (libcudart.so.13 not found)");
    assertThat(TensorRtAvailability.describeLinkFailure("p", loaderError("libcudnn_graph.so.9: cannot open shared object file")))
        .isEqualTo("a CUDA library TensorRT needs is missing (libcudnn_graph.so.9 not found)");
  }

  @Test
  void describe_laterTouchOfAFailedClass_stillFindsTheFirstCause() {
    // What the JVM throws on the second touch of a class whose static initializer failed.
    NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cudart");
    later.initCause(new ExceptionInInitializerError(
        "Exception java.lang.UnsatisfiedLinkError: libcuda.so.1: cannot open shared object file [in thread \"main\"]"));

    assertThat(TensorRtAvailability.describeLinkFailure("cudart", later)).isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void describe_unknownFailure_namesWhatAndTheInnermostMessage() {
    Throwable failure = new NoClassDefFoundError("outer");
    failure.initCause(new IllegalStateException("inner detail"));

    assertThat(TensorRtAvailability.describeLinkFailure("the CUDA runtime bindings", failure))
        .isEqualTo("the CUDA runtime bindings could not be loaded: IllegalStateException: inner detail");
  }
}
