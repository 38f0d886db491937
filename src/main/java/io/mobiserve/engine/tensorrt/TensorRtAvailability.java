package io.mobiserve.engine.tensorrt;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether TensorRT can run on this host, and if not, exactly what is missing: the TensorRT or CUDA
 * libraries, the driver, or a CUDA error. Probing never calls a TensorRT factory.
 *
 * <p>{@link #probe} answers once per device and process, then from memory: a native library that failed
 * to load stays failed for the life of the JVM anyway, and a driver installed later needs a restart.
 *
 * @param available true when libnvinfer and the CUDA runtime load and the device exists
 * @param reason one sentence for logs, ModelInfo and metrics, e.g. "libnvinfer.so.10 not found"
 * @param device the device engines would run on, when available
 */
public record TensorRtAvailability(boolean available, String reason, Optional<GpuDevice> device) {
  private static final Map<Integer, TensorRtAvailability> PROBED = new ConcurrentHashMap<>();

  public TensorRtAvailability {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(device, "device");
  }

  /**
   * Probes the libraries and the CUDA device {@code deviceIndex}. Safe to call on any host and from any
   * thread; never throws.
   *
   * @throws IllegalArgumentException when {@code deviceIndex} is negative
   */
  public static TensorRtAvailability probe(int deviceIndex) {
    if (deviceIndex < 0) {
      throw new IllegalArgumentException("device index must not be negative, not " + deviceIndex);
    }
    return PROBED.computeIfAbsent(deviceIndex, AvailabilityProbe::probe);
  }
}
