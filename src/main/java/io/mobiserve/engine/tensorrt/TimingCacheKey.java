package io.mobiserve.engine.tensorrt;

import java.util.Objects;

/**
 * Identifies a TensorRT timing cache: kernel timings are shared by every model built on the same
 * TensorRT version and GPU, so one file serves them all and makes later builds faster.
 */
record TimingCacheKey(String tensorRtVersion, String gpuName, String computeCapability) implements CacheKey {

  TimingCacheKey {
    Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
    Objects.requireNonNull(gpuName, "gpuName");
    Objects.requireNonNull(computeCapability, "computeCapability");
  }

  @Override
  public String canonical() {
    return CacheKeys.canonical(CacheKeys.fields(
        "kind", "timing-cache",
        "tensorrt", tensorRtVersion,
        "gpu", gpuName,
        "compute-capability", computeCapability));
  }

  /** {@code timing-<16 hex of SHA-256(canonical)>.cache}. */
  @Override
  public String fileName() {
    return "timing-" + CacheKeys.shortHash(canonical()) + ".cache";
  }
}
