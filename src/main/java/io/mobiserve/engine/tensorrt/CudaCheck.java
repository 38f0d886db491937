package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.util.function.IntFunction;
import org.bytedeco.cuda.global.cudart;

/**
 * Checks CUDA runtime return codes: anything but 0 becomes an {@link EngineException} naming the call and
 * the CUDA error, e.g. {@code "cudaMalloc(input, 19267584 bytes) failed: cudaErrorMemoryAllocation (out of
 * memory), code 2"}.
 *
 * <p>The error names come from an injected lookup so the message format is tested without a GPU;
 * {@link #RUNTIME} asks the CUDA runtime itself.
 */
public final class CudaCheck {
  /** Asks libcudart for error names; only usable once the CUDA presets have loaded. */
  public static final CudaCheck RUNTIME = new CudaCheck(
      code -> cudart.cudaGetErrorName(code).getString(),
      code -> cudart.cudaGetErrorString(code).getString());

  private final IntFunction<String> names;
  private final IntFunction<String> descriptions;

  CudaCheck(IntFunction<String> names, IntFunction<String> descriptions) {
    this.names = names;
    this.descriptions = descriptions;
  }

  /** Throws when {@code code} is not {@code cudaSuccess}. */
  public void check(String call, int code) throws EngineException {
    if (code != 0) {
      throw new EngineException(message(call, code));
    }
  }

  /** The sentence for a failed call. */
  public String message(String call, int code) {
    return call + " failed: " + describe(code);
  }

  /** {@code "cudaErrorNoDevice (no CUDA-capable device is detected), code 100"}. */
  public String describe(int code) {
    return names.apply(code) + " (" + descriptions.apply(code) + "), code " + code;
  }
}
