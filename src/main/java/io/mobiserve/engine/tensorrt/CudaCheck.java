package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.util.Set;
import java.util.function.IntFunction;
import org.bytedeco.cuda.global.cudart;

/**
 * Checks CUDA runtime return codes: anything but 0 becomes an {@link EngineException} naming the call and
 * the CUDA error, e.g. {@code "cudaMalloc(input, 19267584 bytes) failed: cudaErrorMemoryAllocation (out of
 * memory), code 2"} — an {@link UnrecoverableEngineException} for a {@linkplain #isSticky sticky} error.
 *
 * <p>The error names come from an injected lookup so the message format is tested without a GPU;
 * {@link #RUNTIME} asks the CUDA runtime itself.
 */
public final class CudaCheck {
  /** Asks libcudart for error names; only usable once the CUDA presets have loaded. */
  public static final CudaCheck RUNTIME = new CudaCheck(
      code -> cudart.cudaGetErrorName(code).getString(),
      code -> cudart.cudaGetErrorString(code).getString());

  /**
   * The errors the CUDA runtime's documentation ({@code cudaError} in driver_types.h, CUDA 13) says leave
   * "the process in an inconsistent state" where "any further CUDA work will return the same error" and
   * "the process must be terminated and relaunched": cudaErrorContained (226), IllegalAddress (700),
   * LaunchTimeout (702), Assert (710), HardwareStackError (714), IllegalInstruction (715),
   * MisalignedAddress (716), InvalidAddressSpace (717), InvalidPc (718), LaunchFailure (719),
   * TensorMemoryLeak (721), MpsClientTerminated (810), ExternalDevice (911).
   */
  static final Set<Integer> STICKY = Set.of(226, 700, 702, 710, 714, 715, 716, 717, 718, 719, 721, 810, 911);

  private final IntFunction<String> names;
  private final IntFunction<String> descriptions;

  CudaCheck(IntFunction<String> names, IntFunction<String> descriptions) {
    this.names = names;
    this.descriptions = descriptions;
  }

  /** Whether {@code code} leaves CUDA unusable in this process until it restarts. */
  public static boolean isSticky(int code) {
    return STICKY.contains(code);
  }

  /**
   * Throws when {@code code} is not {@code cudaSuccess}.
   *
   * @throws UnrecoverableEngineException for a sticky error
   * @throws EngineException for any other error
   */
  public void check(String call, int code) throws EngineException {
    if (code != 0) {
      throw failure(message(call, code), code, null);
    }
  }

  /** The exception for a failure whose CUDA status is {@code code}: unrecoverable when the code is sticky. */
  EngineException failure(String message, int code, Throwable cause) {
    if (isSticky(code)) {
      return new UnrecoverableEngineException(message + "; a sticky CUDA error: CUDA is unusable in this process "
          + "until it restarts", cause);
    }
    return new EngineException(message, cause);
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
