package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrecisionChoiceTest {

  @Test
  void auto_isFp16WhereTheGpuHasFastFp16AndTensorRtTheFlag() {
    assertThat(PrecisionChoice.choose(Precision.AUTO, true, true))
        .extracting(PrecisionChoice::precision, PrecisionChoice::warn).containsExactly(Precision.FP16, false);
    assertThat(PrecisionChoice.choose(Precision.AUTO, false, true))
        .extracting(PrecisionChoice::precision, PrecisionChoice::warn).containsExactly(Precision.FP32, false);
  }

  @Test
  void withoutTheFp16Flag_everythingIsFp32_withAWarningWhenFp16WasWanted() {
    PrecisionChoice auto = PrecisionChoice.choose(Precision.AUTO, true, false);
    PrecisionChoice fp16 = PrecisionChoice.choose(Precision.FP16, true, false);

    assertThat(auto.precision()).isEqualTo(Precision.FP32);
    assertThat(auto.warn()).isTrue();
    assertThat(auto.reason()).contains("no FP16 builder flag");
    assertThat(fp16.precision()).isEqualTo(Precision.FP32);
    assertThat(fp16.warn()).isTrue();
  }

  @Test
  void fp16OnAGpuWithoutFastFp16_isHonouredWithAWarning() {
    PrecisionChoice choice = PrecisionChoice.choose(Precision.FP16, false, true);

    assertThat(choice.precision()).isEqualTo(Precision.FP16);
    assertThat(choice.warn()).isTrue();
    assertThat(choice.reason()).contains("without fast FP16");
  }

  @Test
  void fp32_isAlwaysFp32() {
    for (boolean fast : new boolean[] {true, false}) {
      for (boolean flag : new boolean[] {true, false}) {
        assertThat(PrecisionChoice.choose(Precision.FP32, fast, flag))
            .extracting(PrecisionChoice::precision, PrecisionChoice::warn).containsExactly(Precision.FP32, false);
      }
    }
  }

  @Test
  void fastFp16_byComputeCapability() {
    assertThat(PrecisionChoice.hasFastFp16(9, 0)).isTrue();
    assertThat(PrecisionChoice.hasFastFp16(7, 5)).isTrue();
    assertThat(PrecisionChoice.hasFastFp16(6, 0)).isTrue();
    assertThat(PrecisionChoice.hasFastFp16(6, 2)).isTrue();
    assertThat(PrecisionChoice.hasFastFp16(5, 3)).isTrue();
    assertThat(PrecisionChoice.hasFastFp16(6, 1)).isFalse();
    assertThat(PrecisionChoice.hasFastFp16(5, 2)).isFalse();
  }

  @Test
  void builderFlags_areFoundByName_andMissingOnesAreEmpty() {
    // TensorRT 10.15 still has kFP16; the lookup is what lets TensorRT 11 (without it) degrade.
    assertThat(TensorRtProcess.builderFlag("kFP16")).isPresent();
    assertThat(TensorRtProcess.builderFlag("kTF32")).isPresent();
    assertThat(TensorRtProcess.builderFlag("kNO_SUCH_FLAG")).isEmpty();
  }
}
