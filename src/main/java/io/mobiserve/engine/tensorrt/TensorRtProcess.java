package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.util.Optional;
import java.util.function.ToIntFunction;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * TensorRT as this process sees it: the one builder and the one runtime, and how the presets' version,
 * flags and enums are read.
 *
 * <p>Nothing a TensorRT factory returns can be freed from Java (the presets give those objects no
 * deallocator, and {@code destroy()} is gone since TensorRT 10), so the builder and runtime are created
 * once, on first use, and kept. {@link #LOCK} serializes builds and deserializations: an {@code IBuilder}
 * is not thread-safe, and these are rare, slow operations anyway.
 */
final class TensorRtProcess {
  static final Object LOCK = new Object();
  /**
   * The TensorRT release the presets on the class path were built against, e.g. "10.15": the JNI library
   * passes it to {@code createInferBuilder}, which refuses any other. (Compile-time constants: reading them
   * loads no native library.)
   */
  static final String REQUIRED_VERSION = nvinfer.NV_TENSORRT_MAJOR + "." + nvinfer.NV_TENSORRT_MINOR;

  private static IBuilder builder;
  private static IRuntime runtime;

  private TensorRtProcess() {}

  /** The builder; call with {@link #LOCK} held, after {@code cudaSetDevice}. */
  static IBuilder builder() throws EngineException {
    if (builder == null) {
      IBuilder created = nvinfer.createInferBuilder(TensorRtLogger.INSTANCE);
      if (created == null || created.isNull()) {
        throw new EngineException(builderFailure(nvinfer.getInferLibVersion()));
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

  /**
   * Why {@code createInferBuilder} returned null, given the version of the libnvinfer loaded: a version
   * other than {@link #REQUIRED_VERSION} (which it refuses), else a CUDA that cannot run.
   */
  static String builderFailure(int loadedVersion) {
    return "TensorRT could not create a builder: " + versionMismatch(loadedVersion)
        .orElse("CUDA is not usable in this process (createInferBuilder returned null; see the TensorRT log)");
  }

  /** "found TensorRT X, this build needs 10.15 ..." when {@code loadedVersion} is another release. */
  static Optional<String> versionMismatch(int loadedVersion) {
    String found = version(loadedVersion);
    if (found.startsWith(REQUIRED_VERSION + ".")) {
      return Optional.empty();
    }
    return Optional.of("found TensorRT " + found + ", this build needs " + REQUIRED_VERSION + " (the version of its "
        + "TensorRT bindings): install TensorRT " + REQUIRED_VERSION + ".x");
  }

  /** TensorRT's packed version number ({@code getInferLibVersion()}, major·10000 + minor·100 + patch) as text. */
  static String version(int packed) {
    return (packed / 10000) + "." + (packed / 100 % 100) + "." + (packed % 100);
  }

  /**
   * The builder flag called {@code name} (e.g. "kFP16") in the presets on the class path, if any. Looked up
   * by name because TensorRT 11 removed some (kFP16 among them) and renumbered others: code that names a
   * missing flag degrades instead of failing to link or setting the wrong bit.
   */
  static Optional<BuilderFlag> builderFlag(String name) {
    try {
      return Optional.of(BuilderFlag.valueOf(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The constant name for a preset enum value. Enums the presets return are fresh objects whose identity
   * (and possibly name) is not the constant's, so they are matched by their {@code value} field.
   */
  static <E extends Enum<E>> String enumName(E[] constants, ToIntFunction<E> valueOf, int value) {
    for (E constant : constants) {
      if (valueOf.applyAsInt(constant) == value) {
        return constant.name();
      }
    }
    return "value " + value;
  }
}
