package io.mobiserve.engine.tensorrt;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How TensorRT engines are built and run. The batch sizes are not here: the runtime decides them once and
 * hands them to {@link TensorRtEngineFactory#create}.
 *
 * @param precision the requested precision; {@link Precision#AUTO} resolves per GPU
 * @param engineCacheDir where serialized engines and the timing cache are kept
 * @param workspaceBytes the builder's workspace memory pool limit
 * @param deviceIndex the CUDA device to run on
 */
public record TensorRtOptions(
    Precision precision, Path engineCacheDir, long workspaceBytes, int deviceIndex) {

  public static final long DEFAULT_WORKSPACE_BYTES = 1L << 30;

  public TensorRtOptions {
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(engineCacheDir, "engineCacheDir");
    if (workspaceBytes < 1) {
      throw new IllegalArgumentException("workspace must be positive, not " + workspaceBytes);
    }
    if (deviceIndex < 0) {
      throw new IllegalArgumentException("device index must not be negative, not " + deviceIndex);
    }
  }

  /** The default engine cache: {@code ~/.cache/mobiserve/engines}. */
  public static Path defaultEngineCacheDir() {
    return Path.of(System.getProperty("user.home"), ".cache", "mobiserve", "engines");
  }
}
