package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LinkFailureTest {

  /** The shape JavaCPP's Loader produces: its own message outside, the dynamic loader's inside. */
  private static Throwable loaderError(String dlopenMessage) {
    UnsatisfiedLinkError outer = new UnsatisfiedLinkError("no jnicudart in java.library.path: /usr/lib");
    outer.initCause(new UnsatisfiedLinkError("/home/app/.javacpp/cache/x/libjnicudart.so: " + dlopenMessage));
    return outer;
  }

  @Test
  void describe_missingDriver() {
    assertThat(LinkFailure.describe("cudart", loaderError("libcuda.so.1: cannot open shared object file: No such file")))
        .isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void describe_missingTensorRt() {
    assertThat(LinkFailure.describe("nvinfer", loaderError("libnvinfer.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT not found (libnvinfer.so.10 not found)");
    assertThat(LinkFailure.describe("nvinfer", loaderError("libnvinfer_plugin.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT not found (libnvinfer_plugin.so.10 not found)");
  }

  @Test
  void describe_missingParserRuntimeAndCudaLibraries() {
    assertThat(LinkFailure.describe("p", loaderError("libnvonnxparser.so.10: cannot open shared object file")))
        .isEqualTo("TensorRT's ONNX parser not found (libnvonnxparser.so.10 not found)");
    assertThat(LinkFailure.describe("p", loaderError("libcudart.so.13: cannot open shared object file")))
        .isEqualTo("CUDA runtime not found (libcudart.so.13 not found)");
    assertThat(LinkFailure.describe("p", loaderError("libcudnn_graph.so.9: cannot open shared object file")))
        .isEqualTo("a CUDA library TensorRT needs is missing (libcudnn_graph.so.9 not found)");
  }

  @Test
  void describe_laterTouchOfAFailedClass_stillFindsTheFirstCause() {
    // What the JVM throws on the second touch of a class whose static initializer failed.
    NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class org.bytedeco.cuda.global.cudart");
    later.initCause(new ExceptionInInitializerError(
        "Exception java.lang.UnsatisfiedLinkError: libcuda.so.1: cannot open shared object file [in thread \"main\"]"));

    assertThat(LinkFailure.describe("cudart", later)).isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void describe_unknownFailure_namesWhatAndTheInnermostMessage() {
    Throwable failure = new NoClassDefFoundError("outer");
    failure.initCause(new IllegalStateException("inner detail"));

    assertThat(LinkFailure.describe("the CUDA runtime bindings", failure))
        .isEqualTo("the CUDA runtime bindings could not be loaded: IllegalStateException: inner detail");
  }
}
