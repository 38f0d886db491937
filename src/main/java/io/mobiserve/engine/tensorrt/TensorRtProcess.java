package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * The process's one TensorRT builder and one runtime. Nothing a TensorRT factory returns can be freed
 * from Java (the presets give those objects no deallocator, and {@code destroy()} is gone since TensorRT
 * 10), so they are created once, on first use, and kept.
 *
 * <p>{@link #LOCK} serializes builds and deserializations: an {@code IBuilder} is not thread-safe, and
 * these are rare, slow operations anyway.
 */
final class TensorRtProcess {
  static final Object LOCK = new Object();

  private static IBuilder builder;
  private static IRuntime runtime;

  private TensorRtProcess() {}

  /** The builder; call with {@link #LOCK} held, after {@code cudaSetDevice}. */
  static IBuilder builder() throws EngineException {
    if (builder == null) {
      IBuilder created = nvinfer.createInferBuilder(TensorRtLogger.INSTANCE);
      if (created == null || created.isNull()) {
        throw new EngineException("TensorRT could not create a builder: CUDA is not usable in this process "
            + "(createInferBuilder returned null; see the TensorRT log)");
      }
      builder = created;
    }
    return builder;
  }

  /** The runtime; call with {@link #LOCK} held, after {@code cudaSetDevice}. */
  static IRuntime runtime() throws EngineException {
    if (runtime == null) {
      IRuntime created = nvinfer.createInferRuntime(TensorRtLogger.INSTANCE);
      if (created == null || created.isNull()) {
        throw new EngineException("TensorRT could not create a runtime: CUDA is not usable in this process");
      }
      runtime = created;
    }
    return runtime;
  }
}
