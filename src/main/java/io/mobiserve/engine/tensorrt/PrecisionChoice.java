package io.mobiserve.engine.tensorrt;

import java.util.Objects;

/**
 * The precision an engine is actually built in, and why.
 *
 * <p>An explicit FP16 request on a GPU without fast FP16 is honoured with a warning rather than refused:
 * TensorRT's FP16 flag only <em>allows</em> FP16 kernels and it still times the FP32 ones, so the engine
 * is correct and at worst no faster; refusing would stop a server the user configured on purpose. Where
 * the TensorRT in use has no FP16 builder flag (TensorRT 11 reads precision from the model), the engine is
 * FP32 and a warning says so.
 *
 * @param precision {@link Precision#FP32} or {@link Precision#FP16}, never AUTO
 * @param reason one sentence for the log
 * @param warn true when the user should hear about it: the result is not what they asked for, or is unwise
 */
record PrecisionChoice(Precision precision, String reason, boolean warn) {

  PrecisionChoice {
    Objects.requireNonNull(precision, "precision");
    Objects.requireNonNull(reason, "reason");
    if (precision == Precision.AUTO) {
      throw new IllegalArgumentException("a choice is FP32 or FP16, not AUTO");
    }
  }

  /**
   * Decides.
   *
   * @param requested the configured precision
   * @param hasFastFp16 whether the GPU computes FP16 at a higher rate than FP32
   * @param fp16FlagAvailable whether this TensorRT has the kFP16 builder flag
   */
  static PrecisionChoice choose(Precision requested, boolean hasFastFp16, boolean fp16FlagAvailable) {
    return switch (requested) {
      case FP32 -> new PrecisionChoice(Precision.FP32, "fp32 requested", false);
      case FP16 -> !fp16FlagAvailable
          ? new PrecisionChoice(Precision.FP32,
              "fp16 requested, but this TensorRT has no FP16 builder flag; building fp32", true)
          : hasFastFp16
              ? new PrecisionChoice(Precision.FP16, "fp16 requested", false)
              : new PrecisionChoice(Precision.FP16,
                  "fp16 requested on a GPU without fast FP16; TensorRT will mostly pick FP32 kernels", true);
      case AUTO -> !hasFastFp16
          ? new PrecisionChoice(Precision.FP32, "auto: the GPU has no fast FP16, building fp32", false)
          : fp16FlagAvailable
              ? new PrecisionChoice(Precision.FP16, "auto: the GPU has fast FP16, building fp16", false)
              : new PrecisionChoice(Precision.FP32,
                  "auto: the GPU has fast FP16, but this TensorRT has no FP16 builder flag; building fp32", true);
    };
  }

  /**
   * Whether a GPU of this compute capability has fast FP16: 5.3, 6.0, 6.2 and everything from 7.0 on;
   * 6.1 (GeForce Pascal) runs FP16 at a fraction of its FP32 rate. Decided from the device rather than
   * asked of the builder because {@code platformHasFastFp16} is gone in TensorRT 11.
   */
  static boolean hasFastFp16(int major, int minor) {
    return major >= 7 || (major == 6 && minor != 1) || (major == 5 && minor == 3);
  }
}
