package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * The CUDA preprocessing kernels of {@code native/} (libmobiserve_preprocess): a batch of raw frames on
 * the device becomes the model's normalized CHW input in a device buffer, in one launch on a stream.
 *
 * <p>The native library is built only by the {@code -Pgpu} Maven profile, and needs the CUDA runtime
 * (libcudart.so.13) at run time. It is loaded on the first call to {@link #isAvailable()} or a launch,
 * never when this class is merely referenced; if it cannot load, {@link #unavailableReason()} says why
 * and the launches throw {@link IllegalStateException}.
 *
 * <p>The launches are asynchronous: they return once the kernel is queued on {@code stream}. The
 * descriptors, frames and output must stay allocated until the stream has run it. Thread-safe: nothing
 * here holds state besides the loaded library.
 */
public final class PreprocessKernels {
  private PreprocessKernels() {}

  /** True when the native library loaded; says nothing about whether there is a GPU. */
  public static boolean isAvailable() {
    return Library.PROBLEM.isEmpty();
  }

  /** Why the native library is unusable, or empty when it loaded. */
  public static Optional<String> unavailableReason() {
    return Library.PROBLEM;
  }

  /**
   * Queues the float32 kernel: {@code imageCount} frames described by the device array {@code descriptors}
   * ({@link ImageDescriptor#BYTES} each) into {@code output}, {@code imageCount × shape.elementCount()}
   * device floats.
   *
   * @param stream a {@code cudaStream_t} (the CUDA presets' {@code CUstream_st}), or a null pointer for the
   *     default stream
   * @return the {@code cudaError_t}: 0 when queued; cudaErrorInvalidValue (1) for a bad argument
   */
  public static int preprocessFloat(Pointer descriptors, int imageCount, InputShape shape, Preprocessing preprocessing,
      Pointer output, Pointer stream) {
    requireAvailable();
    return PreprocessKernelsNative.mobiserve_preprocess_float(descriptors, imageCount, preprocessing.mean(), preprocessing.std(),
        ImageDescriptor.channelOrderCode(preprocessing.channelOrder()), output, shape.height(), shape.width(), stream);
  }

  /** As {@link #preprocessFloat}, writing IEEE half floats (2 bytes each) for FP16 engines. */
  public static int preprocessHalf(Pointer descriptors, int imageCount, InputShape shape, Preprocessing preprocessing,
      Pointer output, Pointer stream) {
    requireAvailable();
    return PreprocessKernelsNative.mobiserve_preprocess_half(descriptors, imageCount, preprocessing.mean(), preprocessing.std(),
        ImageDescriptor.channelOrderCode(preprocessing.channelOrder()), output, shape.height(), shape.width(), stream);
  }

  private static void requireAvailable() {
    Library.PROBLEM.ifPresent(reason -> {
      throw new IllegalStateException("GPU preprocessing kernels unavailable: " + reason);
    });
  }

  /** Loads the library once, on first use; a failed load is remembered, never retried. */
  private static final class Library {
    static final Optional<String> PROBLEM = load();

    private static Optional<String> load() {
      try {
        long nativeSize = PreprocessKernelsNative.mobiserve_image_descriptor_size();
        if (nativeSize != ImageDescriptor.BYTES) {
          return Optional.of("libmobiserve_preprocess's descriptor is " + nativeSize + " bytes, Java writes "
              + ImageDescriptor.BYTES + ": rebuild with ./mvnw -Pgpu package");
        }
        return Optional.empty();
      } catch (LinkageError e) { // UnsatisfiedLinkError, or NoClassDefFoundError after a failed static init
        return Optional.of(describe(e));
      }
    }

    private static String describe(LinkageError e) {
      String library = System.mapLibraryName("mobiserve_preprocess");
      String platform = Loader.getPlatform();
      if (PreprocessKernels.class.getResource(platform + "/" + library) == null) {
        return "native library mobiserve_preprocess not built for " + platform
            + ": build with ./mvnw -Pgpu package on a host with nvcc";
      }
      return "native library mobiserve_preprocess could not be loaded (is libcudart.so.13 installed?): "
          + Objects.requireNonNullElse(e.getMessage(), e.getClass().getName());
    }
  }
}
