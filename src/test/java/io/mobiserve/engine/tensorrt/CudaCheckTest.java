package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaCheckTest {
  private static final Map<Integer, String> NAMES = Map.of(2, "cudaErrorMemoryAllocation", 100, "cudaErrorNoDevice",
      700, "cudaErrorIllegalAddress");
  private static final Map<Integer, String> TEXTS = Map.of(2, "out of memory", 100, "no CUDA-capable device is detected",
      700, "an illegal memory access was encountered");
  private static final CudaCheck FAKE = new CudaCheck(NAMES::get, TEXTS::get);

  @Test
  void check_success_doesNothing() {
    assertThatCode(() -> FAKE.check("cudaMalloc", 0)).doesNotThrowAnyException();
  }

  @Test
  void check_failure_namesTheCallTheErrorAndTheCode() {
    assertThatThrownBy(() -> FAKE.check("cudaMalloc(input, 64 bytes)", 2))
        .isExactlyInstanceOf(EngineException.class)
        .hasMessage("cudaMalloc(input, 64 bytes) failed: cudaErrorMemoryAllocation (out of memory), code 2");
  }

  @Test
  void check_stickyError_isUnrecoverableAndSaysSo() {
    assertThatThrownBy(() -> FAKE.check("cudaStreamSynchronize", 700))
        .isInstanceOf(UnrecoverableEngineException.class)
        .hasMessageStartingWith("cudaStreamSynchronize failed: cudaErrorIllegalAddress (an illegal memory access was "
            + "encountered), code 700")
        .hasMessageContaining("until it restarts");
  }

  @Test
  void isSticky_isTrueForEveryErrorTheCudaDocsSayNeedsARestart() {
    // driver_types.h: "the process must be terminated and relaunched"
    int[] sticky = {226, 700, 702, 710, 714, 715, 716, 717, 718, 719, 721, 810, 911};
    for (int code : sticky) {
      assertThat(CudaCheck.isSticky(code)).as("code %d", code).isTrue();
    }
  }

  @Test
  void isSticky_isFalseForErrorsTheProcessSurvives() {
    // invalid value, out of memory, no driver, no device, launch out of resources, not ready, unknown
    for (int code : new int[] {0, 1, 2, 35, 100, 701, 600, 999}) {
      assertThat(CudaCheck.isSticky(code)).as("code %d", code).isFalse();
    }
  }

  @Test
  void describe_looksUpTheGivenCode() {
    assertThat(FAKE.describe(100)).isEqualTo("cudaErrorNoDevice (no CUDA-capable device is detected), code 100");
  }
}
