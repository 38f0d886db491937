package io.mobiserve.engine.tensorrt;

import java.util.Objects;

/**
 * Identifies a serialized TensorRT engine: a plan only runs on the TensorRT version and GPU it was built
 * for, and is only right for the model bytes, precision and optimization profile it was built from.
 *
 * @param modelName the model's name, for people reading the cache directory
 * @param modelSha256 SHA-256 of the ONNX file's bytes, hex
 * @param tensorRtVersion e.g. "10.15.1"
 * @param gpuName e.g. "NVIDIA H200"
 * @param computeCapability e.g. "9.0"
 * @param precision the resolved precision's label, "fp32" or "fp16"
 * @param profile the optimization profile
 */
record EngineCacheKey(
    String modelName,
    String modelSha256,
    String tensorRtVersion,
    String gpuName,
    String computeCapability,
    String precision,
    BatchProfile profile) implements CacheKey {

  /** Bump when the builder would produce a different engine for the same fields. */
  static final int FORMAT = 1;

  EngineCacheKey {
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(modelSha256, "modelSha256");
    Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
    Objects.requireNonNull(gpuName, "gpuName");
    Objects.requireNonNull(computeCapability, "computeCapability");
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(profile, "profile");
  }

  @Override
  public String canonical() {
    return CacheKeys.canonical(CacheKeys.fields(
        "kind", "engine",
        "format", Integer.toString(FORMAT),
        "model", modelName,
        "model-sha256", modelSha256,
        "tensorrt", tensorRtVersion,
        "gpu", gpuName,
        "compute-capability", computeCapability,
        "precision", precision,
        "profile", profile.describe()));
  }

  /** {@code <model-name>-<16 hex of SHA-256(canonical)>.engine}. */
  @Override
  public String fileName() {
    return CacheKeys.safeFileStem(modelName) + "-" + CacheKeys.shortHash(canonical()) + ".engine";
  }
}
