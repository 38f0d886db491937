package io.mobiserve.engine.tensorrt;

import java.util.Objects;
import java.util.Optional;

/**
 * Whether TensorRT can run on this host, and if not, exactly what is missing: the TensorRT or CUDA
 * libraries, the driver, or a CUDA error. Probing never calls a TensorRT factory.
 *
 * @param available true when libnvinfer and the CUDA runtime load and the device exists
 * @param reason one sentence for logs, ModelInfo and metrics, e.g. "libnvinfer.so.10 not found"
 * @param device the device engines would run on, when available
 */
public record TensorRtAvailability(boolean available, String reason, Optional<GpuDevice> device) {

  public TensorRtAvailability {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(device, "device");
  }

  /** Probes the libraries and the CUDA device {@code deviceIndex}. Safe to call on any host. */
  public static TensorRtAvailability probe(int deviceIndex) {
    // Filled in by the TensorRT engine work: loads cudart, nvinfer and nvonnxparser, counts devices.
    return new TensorRtAvailability(false, "TensorRT support is not built yet", Optional.empty());
  }
}
