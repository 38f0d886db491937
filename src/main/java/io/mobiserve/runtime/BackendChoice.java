package io.mobiserve.runtime;

import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import io.mobiserve.engine.tensorrt.TensorRtEngineFactory;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The engine a runtime runs and why, so that the choice can be logged and reported in ModelInfo and the
 * metrics.
 *
 * <ul>
 *   <li>{@code cpu}: ONNX Runtime; CUDA is never touched (the probe is not called).
 *   <li>{@code auto}: TensorRT when the probe says it can run here, else ONNX Runtime, with the probe's
 *       reason.
 *   <li>{@code tensorrt}: TensorRT, or a {@link BackendUnavailableException} naming what is missing.
 * </ul>
 *
 * With TensorRT and the CPU fallback, each instance is a {@link FailoverEngine} over a TensorRT and an ONNX
 * Runtime instance, reporting to {@link #health()}.
 *
 * @param factory creates the chosen engine's instances
 * @param reason one sentence: which backend and why
 * @param health what the instances report their failovers to; not accelerated on the CPU
 * @param cpuIfStartFails under {@code auto} with TensorRT chosen: the CPU engine to start instead when the
 *     TensorRT engine cannot be built or loaded (the probe passed, but e.g. the parser refused the model)
 */
public record BackendChoice(EngineFactory factory, String reason, EngineHealth health,
    Optional<EngineFactory> cpuIfStartFails) {

  public BackendChoice {
    Objects.requireNonNull(factory, "factory");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(cpuIfStartFails, "cpuIfStartFails");
  }

  /** Engines of {@code factory}, which are not accelerated (nothing to fall back from). */
  public static BackendChoice of(EngineFactory factory, String reason) {
    return new BackendChoice(factory, reason, EngineHealth.unaccelerated(), Optional.empty());
  }

  /** Engines of {@code factory} that report their health to {@code health}. */
  public static BackendChoice of(EngineFactory factory, String reason, EngineHealth health) {
    return new BackendChoice(factory, reason, health, Optional.empty());
  }

  /**
   * The choice to start when this one's engine failed to start: the CPU under {@code auto}, with the
   * failure as the reason; empty when the failure must stop the server ({@code tensorrt}, or the CPU itself
   * failed).
   */
  Optional<BackendChoice> afterStartFailure(String failure) {
    return cpuIfStartFails.map(cpu -> of(cpu,
        "auto: ONNX Runtime on the CPU because the TensorRT engine could not start: " + failure));
  }

  /**
   * The backend {@code config} asks for, with the real engines and TensorRT's availability probe.
   *
   * @throws BackendUnavailableException when {@code tensorrt} is asked for and cannot run here
   */
  public static BackendChoice choose(RuntimeConfig config) {
    return choose(config.backend(), config.fallback(), config.tensorRt().deviceIndex(),
        (model, batches) -> OrtEngine.open(model, batches, config.cpu()),
        () -> new TensorRtEngineFactory(config.tensorRt()), TensorRtAvailability::probe);
  }

  /**
   * @param requested the backend asked for
   * @param fallback what answers when TensorRT fails while serving
   * @param gpu the CUDA device index
   * @param cpu creates ONNX Runtime instances
   * @param tensorRt creates the TensorRT factory; called only when TensorRT is chosen
   * @param probe says whether TensorRT can run on a device; never called for {@code cpu}
   * @throws BackendUnavailableException when {@code tensorrt} is requested and cannot run here
   */
  static BackendChoice choose(Backend requested, Fallback fallback, int gpu, EngineFactory cpu,
      Supplier<EngineFactory> tensorRt, IntFunction<TensorRtAvailability> probe) {
    if (requested == Backend.CPU) {
      return of(cpu, "cpu: requested with --backend cpu");
    }
    TensorRtAvailability availability = probeSafely(probe, gpu);
    if (!availability.available()) {
      if (requested == Backend.TENSORRT) {
        throw new BackendUnavailableException("--backend tensorrt: TensorRT cannot run here: "
            + availability.reason() + " (--backend auto runs on the CPU instead)");
      }
      return of(cpu, "auto: ONNX Runtime on the CPU because TensorRT cannot run here: " + availability.reason());
    }
    String why = (requested == Backend.AUTO ? "auto: TensorRT can run here" : "tensorrt: requested with --backend tensorrt")
        + ", on " + device(availability, gpu);
    Optional<EngineFactory> cpuIfStartFails = requested == Backend.AUTO ? Optional.of(cpu) : Optional.empty();
    if (fallback == Fallback.NONE) {
      // No silent fallback, but a failing GPU is still reported: health and metrics show it degraded.
      EngineHealth health = EngineHealth.accelerated("");
      return new BackendChoice(WatchedEngine.factory(tensorRt.get(), health),
          why + "; no fallback (--fallback none)", health, cpuIfStartFails);
    }
    EngineHealth health = EngineHealth.accelerated(OrtEngine.BACKEND);
    // The fallback instances are opened at start, beside the TensorRT ones, so that a failover never
    // waits for an ONNX Runtime session to load.
    EngineFactory failover = FailoverEngine.factory(tensorRt.get(), cpu, System::nanoTime, health);
    return new BackendChoice(failover, why + "; ONNX Runtime on the CPU takes over if it fails", health,
        cpuIfStartFails);
  }

  /** The probe promises not to throw; a broken native library must not stop {@code auto} all the same. */
  private static TensorRtAvailability probeSafely(IntFunction<TensorRtAvailability> probe, int gpu) {
    try {
      return probe.apply(gpu);
    } catch (NoClassDefFoundError e) {
      // A class that is not there at all (not one whose initializer failed): a jar built with -Pcpu-only.
      if (String.valueOf(e.getMessage()).startsWith("org/bytedeco/")) {
        return new TensorRtAvailability(false, "this jar has no CUDA and TensorRT bindings (built with -Pcpu-only;"
            + " " + e.getMessage() + " is missing)", Optional.empty());
      }
      return new TensorRtAvailability(false, "probing TensorRT failed: " + e, Optional.empty());
    } catch (RuntimeException | LinkageError e) {
      return new TensorRtAvailability(false, "probing TensorRT failed: " + e, Optional.empty());
    }
  }

  private static String device(TensorRtAvailability availability, int gpu) {
    return availability.device()
        .map(d -> "GPU " + d.index() + " (" + d.name() + ", compute capability " + d.computeCapability() + ")")
        .orElse("GPU " + gpu);
  }
}
