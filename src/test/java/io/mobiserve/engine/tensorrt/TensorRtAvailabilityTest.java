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

  @Test
  void judge_gpuOlderThanTuring_isRefusedNamingItsComputeCapability() {
    TensorRtAvailability volta =
        TensorRtAvailability.judge(new TensorRtAvailability.CudaDevice(0, "Tesla V100", 7, 0, 16L << 30), 101501);
    TensorRtAvailability pascal =
        TensorRtAvailability.judge(new TensorRtAvailability.CudaDevice(1, "Tesla P4", 6, 1, 8L << 30), 101501);

    assertThat(volta.available()).isFalse();
    assertThat(volta.device()).isEmpty();
    assertThat(volta.reason()).isEqualTo("GPU 0 (Tesla V100, compute capability 7.0) is too old: CUDA 13 and "
        + "TensorRT 10.15 need compute capability 7.5 (Turing) or newer");
    assertThat(pascal.available()).isFalse();
  }

  @Test
  void judge_turingAndNewer_withTheRightTensorRt_areAvailable() {
    for (int[] cc : new int[][] {{7, 5}, {8, 0}, {8, 9}, {9, 0}, {10, 0}, {12, 0}}) {
      TensorRtAvailability.CudaDevice device = new TensorRtAvailability.CudaDevice(0, "GPU", cc[0], cc[1], 1L << 30);

      TensorRtAvailability availability = TensorRtAvailability.judge(device, 101501);

      assertThat(availability.available()).as("compute capability %d.%d", cc[0], cc[1]).isTrue();
      assertThat(availability.device()).contains(device);
      assertThat(availability.reason()).isEqualTo("TensorRT 10.15.1 on GPU (compute " + cc[0] + "." + cc[1] + ")");
    }
  }

  @Test
  void judge_anotherTensorRtRelease_isRefusedSayingWhichWasFound() {
    TensorRtAvailability availability =
        TensorRtAvailability.judge(new TensorRtAvailability.CudaDevice(0, "NVIDIA L4", 8, 9, 24L << 30), 101300);

    assertThat(availability.available()).isFalse();
    assertThat(availability.reason()).startsWith("found TensorRT 10.13.0, this build needs 10.15");
  }
}
