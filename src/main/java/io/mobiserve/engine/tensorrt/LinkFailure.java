package io.mobiserve.engine.tensorrt;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the {@link LinkageError} JavaCPP throws when a native library is missing into one sentence that
 * names what is missing: the driver, TensorRT, or a CUDA library.
 *
 * <p>The dynamic loader's message ({@code "libcuda.so.1: cannot open shared object file"}) sits in the
 * cause of JavaCPP's "no jnicudart in java.library.path", so the whole cause chain is searched.
 */
final class LinkFailure {
  private static final Pattern MISSING_LIBRARY =
      Pattern.compile("(lib[A-Za-z0-9_+-]+\\.so[0-9.]*): cannot open shared object file");

  private LinkFailure() {}

  /**
   * Says what is missing.
   *
   * @param what what was being loaded, for the fallback sentence, e.g. "the CUDA runtime bindings"
   * @param failure the error from {@code Loader.load} or from touching a preset class
   */
  static String describe(String what, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      Matcher matcher = MISSING_LIBRARY.matcher(String.valueOf(t.getMessage()));
      if (matcher.find()) {
        return forLibrary(matcher.group(1));
      }
    }
    return what + " could not be loaded: " + innermostMessage(failure);
  }

  private static String forLibrary(String library) {
    if (library.startsWith("libcuda.so")) {
      return "no NVIDIA driver (" + library + " not found)";
    }
    if (library.startsWith("libnvinfer")) {
      return "TensorRT not found (" + library + " not found)";
    }
    if (library.startsWith("libnvonnxparser")) {
      return "TensorRT's ONNX parser not found (" + library + " not found)";
    }
    if (library.startsWith("libcudart")) {
      return "CUDA runtime not found (" + library + " not found)";
    }
    if (library.startsWith("libcublas") || library.startsWith("libcudnn") || library.startsWith("libnvrtc")) {
      // TensorRT's preset loads cuBLAS, cuDNN and NVRTC bindings too, so a TensorRT host needs them all.
      return "a CUDA library TensorRT needs is missing (" + library + " not found)";
    }
    return "native library " + library + " not found";
  }

  private static String innermostMessage(Throwable failure) {
    Throwable innermost = failure;
    while (innermost.getCause() != null && innermost.getCause() != innermost) {
      innermost = innermost.getCause();
    }
    return innermost.getClass().getSimpleName() + ": " + innermost.getMessage();
  }
}
