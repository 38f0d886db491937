package io.mobiserve.engine.tensorrt;

import java.util.Optional;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;

/**
 * Does the probing behind {@link TensorRtAvailability#probe}: loads the presets' native libraries, then
 * asks the CUDA runtime for the device. Never calls a TensorRT factory: without a usable CUDA,
 * {@code createInferBuilder} returns null and {@code createInferRuntime} returns a bogus pointer.
 */
final class AvailabilityProbe {
  private AvailabilityProbe() {}

  static TensorRtAvailability probe(int deviceIndex) {
    Optional<String> missing = load(cudart.class, "the CUDA runtime bindings")
        .or(() -> load(nvinfer.class, "TensorRT (nvinfer) bindings"))
        .or(() -> load(nvonnxparser.class, "TensorRT's ONNX parser bindings"));
    if (missing.isPresent()) {
      return unavailable(missing.get());
    }
    try {
      return probeDevice(deviceIndex);
    } catch (LinkageError | RuntimeException e) {
      return unavailable(LinkFailure.describe("the CUDA runtime", e));
    }
  }

  private static Optional<String> load(Class<?> preset, String what) {
    try {
      Loader.load(preset);
      return Optional.empty();
    } catch (LinkageError | RuntimeException e) {
      // A failed static initializer is permanent: later touches throw NoClassDefFoundError whose cause
      // still carries the first failure, which LinkFailure reads.
      return Optional.of(LinkFailure.describe(what, e));
    }
  }

  private static TensorRtAvailability probeDevice(int deviceIndex) {
    int[] count = new int[1];
    int status = cudart.cudaGetDeviceCount(count);
    if (status != 0) {
      return unavailable("no usable CUDA device: cudaGetDeviceCount returned " + CudaCheck.RUNTIME.describe(status));
    }
    if (count[0] <= deviceIndex) {
      return unavailable("CUDA device " + deviceIndex + " does not exist (" + count[0] + " device"
          + (count[0] == 1 ? "" : "s") + " found)");
    }
    try (cudaDeviceProp properties = new cudaDeviceProp()) {
      status = cudart.cudaGetDeviceProperties(properties, deviceIndex);
      if (status != 0) {
        return unavailable("cannot read CUDA device " + deviceIndex + ": " + CudaCheck.RUNTIME.describe(status));
      }
      GpuDevice device = new GpuDevice(deviceIndex, properties.name().getString(), properties.major(),
          properties.minor(), properties.totalGlobalMem());
      String version = TensorRtVersion.format(nvinfer.getInferLibVersion());
      return new TensorRtAvailability(true, "TensorRT " + version + " on " + device.name() + " (compute "
          + device.computeCapability() + ")", Optional.of(device));
    }
  }

  private static TensorRtAvailability unavailable(String reason) {
    return new TensorRtAvailability(false, reason, Optional.empty());
  }
}
