package io.mobiserve.engine.tensorrt;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;

/**
 * Whether TensorRT can run on this host, and if not, exactly what is missing: the TensorRT or CUDA
 * libraries, the driver, or a CUDA error.
 *
 * <p>{@link #probe} loads the presets' native libraries, then asks the CUDA runtime for the device. It never
 * calls a TensorRT factory: without a usable CUDA, {@code createInferBuilder} returns null and
 * {@code createInferRuntime} returns a bogus pointer. It answers once per device and process, then from
 * memory: a native library that failed to load stays failed for the life of the JVM anyway, and a driver
 * installed later needs a restart.
 *
 * @param available true when libnvinfer and the CUDA runtime load and the device exists
 * @param reason one sentence for logs, ModelInfo and metrics, e.g. "libnvinfer.so.10 not found"
 * @param device the device engines would run on, when available
 */
public record TensorRtAvailability(boolean available, String reason, Optional<CudaDevice> device) {
  private static final Map<Integer, TensorRtAvailability> PROBED = new ConcurrentHashMap<>();
  /** CUDA 13 has no kernels for older GPUs (Maxwell, Pascal, Volta): 7.5, Turing, is the oldest. */
  static final int MIN_COMPUTE_CAPABILITY = 75;
  private static final Pattern MISSING_LIBRARY =
      Pattern.compile("(lib[A-Za-z0-9_+-]+\\.so[0-9.]*): cannot open shared object file");

  public TensorRtAvailability {
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(device, "device");
  }

  /**
   * A CUDA device as the CUDA runtime describes it.
   *
   * @param index the CUDA device ordinal
   * @param name e.g. "NVIDIA H100 80GB HBM3"
   * @param major compute capability, major part
   * @param minor compute capability, minor part
   * @param totalMemoryBytes global memory
   */
  public record CudaDevice(int index, String name, int major, int minor, long totalMemoryBytes) {

    /** The compute capability as TensorRT and nvcc write it, e.g. "9.0". */
    public String computeCapability() {
      return major + "." + minor;
    }
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
    return PROBED.computeIfAbsent(deviceIndex, TensorRtAvailability::probeNow);
  }

  private static TensorRtAvailability probeNow(int deviceIndex) {
    Optional<String> missing = load(cudart.class, "the CUDA runtime bindings")
        .or(() -> load(nvinfer.class, "TensorRT (nvinfer) bindings"))
        .or(() -> load(nvonnxparser.class, "TensorRT's ONNX parser bindings"));
    if (missing.isPresent()) {
      return unavailable(missing.get());
    }
    try {
      return probeDevice(deviceIndex);
    } catch (LinkageError | RuntimeException e) {
      return unavailable(describeLinkFailure("the CUDA runtime", e));
    }
  }

  private static Optional<String> load(Class<?> preset, String what) {
    try {
      Loader.load(preset);
      return Optional.empty();
    } catch (LinkageError | RuntimeException e) {
      // A failed static initializer is permanent: later touches throw NoClassDefFoundError whose cause
      // still carries the first failure, which describeLinkFailure reads.
      return Optional.of(describeLinkFailure(what, e));
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
      CudaDevice device = new CudaDevice(deviceIndex, properties.name().getString(), properties.major(),
          properties.minor(), properties.totalGlobalMem());
      return judge(device, nvinfer.getInferLibVersion());
    }
  }

  /**
   * Whether TensorRT can run on {@code device} with the libnvinfer found (its packed version): not on a GPU
   * older than CUDA 13 supports, nor with another TensorRT release than the bindings'.
   */
  static TensorRtAvailability judge(CudaDevice device, int tensorRtVersion) {
    String gpu = "GPU " + device.index() + " (" + device.name() + ", compute capability " + device.computeCapability()
        + ")";
    if (device.major() * 10 + device.minor() < MIN_COMPUTE_CAPABILITY) {
      return unavailable(gpu + " is too old: CUDA 13 and TensorRT " + TensorRtProcess.REQUIRED_VERSION
          + " need compute capability 7.5 (Turing) or newer");
    }
    Optional<String> mismatch = TensorRtProcess.versionMismatch(tensorRtVersion);
    if (mismatch.isPresent()) {
      return unavailable(mismatch.get());
    }
    return new TensorRtAvailability(true, "TensorRT " + TensorRtProcess.version(tensorRtVersion) + " on "
        + device.name() + " (compute " + device.computeCapability() + ")", Optional.of(device));
  }

  private static TensorRtAvailability unavailable(String reason) {
    return new TensorRtAvailability(false, reason, Optional.empty());
  }

  /**
   * Turns the {@link LinkageError} JavaCPP throws when a native library is missing into one sentence that
   * names what is missing: the driver, TensorRT, or a CUDA library. The dynamic loader's message
   * ({@code "libcuda.so.1: cannot open shared object file"}) sits in the cause of JavaCPP's "no jnicudart
   * in java.library.path", so the whole cause chain is searched.
   *
   * @param what what was being loaded, for the fallback sentence, e.g. "the CUDA runtime bindings"
   * @param failure the error from {@code Loader.load} or from touching a preset class
   */
  static String describeLinkFailure(String what, Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      Matcher matcher = MISSING_LIBRARY.matcher(String.valueOf(t.getMessage()));
      if (matcher.find()) {
        return missingLibrary(matcher.group(1));
      }
    }
    Throwable innermost = failure;
    while (innermost.getCause() != null && innermost.getCause() != innermost) {
      innermost = innermost.getCause();
    }
    return what + " could not be loaded: " + innermost.getClass().getSimpleName() + ": " + innermost.getMessage();
  }

  private static String missingLibrary(String library) {
    if (library.startsWith("libcuda.so")) {
      return "no NVIDIA driver (" + library + " not found)";
    }
    if (library.startsWith("libnvinfer")) {
      return "TensorRT not found (" + library + " not found)";
    }
    if (library.startsWith("libnvonnxparser")) {
      return "TensorRT's ONNX parser not found (" + library + " not found)";
    }
    if (library.startsWith("libcudart")) {
      return "CUDA runtime not found (" + library + " not found)";
    }
    if (library.startsWith("libcublas") || library.startsWith("libcudnn") || library.startsWith("libnvrtc")) {
      // TensorRT's preset loads cuBLAS, cuDNN and NVRTC bindings too, so a TensorRT host needs them all.
      return "a CUDA library TensorRT needs is missing (" + library + " not found)";
    }
    return "native library " + library + " not found";
  }
}
