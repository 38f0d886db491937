package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class TensorRtAvailabilityTest {

  @Test
  void probe_saysWhatIsMissingOrWhichDeviceItFound_quickly_andTheSameTwice() {
    long started = System.nanoTime();
    TensorRtAvailability first = TensorRtAvailability.probe(0);
    TensorRtAvailability second = TensorRtAvailability.probe(0);
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.println("TensorRtAvailabilityTest: " + first + " in " + seconds + " s");

    assertThat(seconds).isLessThan(10);
    assertThat(second).isEqualTo(first);
    if (first.available()) {
      assertThat(first.device()).isPresent();
      assertThat(first.reason()).contains("TensorRT").contains(first.device().get().name());
    } else {
      assertThat(first.device()).isEmpty();
      // A sentence naming the missing piece, not a stack trace or a placeholder.
      assertThat(first.reason())
          .containsAnyOf("no NVIDIA driver (libcuda.so", "TensorRT not found (libnvinfer", "not found)",
              "cudaGetDeviceCount returned", "does not exist")
          .doesNotContain("\n");
    }
  }

  @Test
  void probe_onAHostWithoutDriver_namesTheDriver() {
    boolean driverInstalled = Stream.of("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/cuda/compat")
        .anyMatch(dir -> Files.exists(Path.of(dir, "libcuda.so.1")));
    assumeFalse(driverInstalled, "a CUDA driver is installed here");

    TensorRtAvailability availability = TensorRtAvailability.probe(0);

    assertThat(availability.available()).isFalse();
    assertThat(availability.reason()).isEqualTo("no NVIDIA driver (libcuda.so.1 not found)");
  }

  @Test
  void probe_refusesNegativeDevice() {
    assertThatThrownBy(() -> TensorRtAvailability.probe(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
