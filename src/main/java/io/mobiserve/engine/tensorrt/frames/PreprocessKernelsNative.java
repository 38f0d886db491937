package io.mobiserve.engine.tensorrt.frames;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The JNI surface of libmobiserve_preprocess, one method per function of mobiserve_preprocess.h; the
 * {@code -Pgpu} build generates its JNI library (jniPreprocessKernelsNative) with JavaCPP.
 *
 * <p>Loading happens in the static initializer and a failure there is permanent for the JVM
 * (NoClassDefFoundError ever after), so only {@link PreprocessKernels} touches this class, once, and
 * remembers the outcome.
 */
@Platform(include = "mobiserve_preprocess.h", link = "mobiserve_preprocess")
final class PreprocessKernelsNative {
  static {
    Loader.load();
  }

  private PreprocessKernelsNative() {}

  static native @Cast("size_t") long mobiserve_image_descriptor_size();

  static native @Cast("cudaError_t") int mobiserve_preprocess_float(
      @Cast("const mobiserve_image_descriptor*") Pointer images, int imageCount, @Const float[] mean,
      @Const float[] std, int modelChannelOrder, @Cast("float*") Pointer output, int outputHeight, int outputWidth,
      @Cast("cudaStream_t") Pointer stream);

  static native @Cast("cudaError_t") int mobiserve_preprocess_half(
      @Cast("const mobiserve_image_descriptor*") Pointer images, int imageCount, @Const float[] mean,
      @Const float[] std, int modelChannelOrder, @Cast("__half*") Pointer output, int outputHeight, int outputWidth,
      @Cast("cudaStream_t") Pointer stream);
}
