package io.mobiserve.engine.tensorrt;

/**
 * A CUDA device as the CUDA runtime describes it.
 *
 * @param index the CUDA device ordinal
 * @param name e.g. "NVIDIA H100 80GB HBM3"
 * @param major compute capability, major part
 * @param minor compute capability, minor part
 * @param totalMemoryBytes global memory
 */
public record GpuDevice(int index, String name, int major, int minor, long totalMemoryBytes) {

  /** The compute capability as TensorRT and nvcc write it, e.g. "9.0". */
  public String computeCapability() {
    return major + "." + minor;
  }
}
