package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CudaCheckTest {
  private static final Map<Integer, String> NAMES = Map.of(2, "cudaErrorMemoryAllocation", 100, "cudaErrorNoDevice");
  private static final Map<Integer, String> TEXTS = Map.of(2, "out of memory", 100, "no CUDA-capable device is detected");
  private static final CudaCheck FAKE = new CudaCheck(NAMES::get, TEXTS::get);

  @Test
  void check_success_doesNothing() {
    assertThatCode(() -> FAKE.check("cudaMalloc", 0)).doesNotThrowAnyException();
  }

  @Test
  void check_failure_namesTheCallTheErrorAndTheCode() {
    assertThatThrownBy(() -> FAKE.check("cudaMalloc(input, 64 bytes)", 2))
        .isInstanceOf(EngineException.class)
        .hasMessage("cudaMalloc(input, 64 bytes) failed: cudaErrorMemoryAllocation (out of memory), code 2");
  }

  @Test
  void describe_looksUpTheGivenCode() {
    assertThat(FAKE.describe(100)).isEqualTo("cudaErrorNoDevice (no CUDA-capable device is detected), code 100");
  }
}
