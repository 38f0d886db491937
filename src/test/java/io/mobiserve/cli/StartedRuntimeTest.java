package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.engine.tensorrt.GpuDevice;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.server.ModelRuntime;
import io.mobiserve.testing.DigitsFixture;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A GPU that passes the probe but cannot build its engine: auto serves on the CPU, tensorrt stops. */
class StartedRuntimeTest {
  private static final TensorRtAvailability PRESENT = new TensorRtAvailability(
      true, "TensorRT 10.15 on GPU 0", Optional.of(new GpuDevice(0, "NVIDIA H200", 9, 0, 141L << 30)));
  private static final String BUILD_FAILURE =
      "TensorRT could not parse model.onnx: 1 error: node 12 (HardSigmoid 'se/act'): unsupported";

  private final EngineFactory cpu = model -> OrtEngine.open(model, new OrtEngineOptions(1, 8));
  private final EngineFactory unbuildableGpu = model -> {
    throw new EngineException(BUILD_FAILURE);
  };

  @Test
  void auto_whenTheTensorRtEngineCannotStart_servesOnTheCpuSayingWhy() throws Exception {
    BackendSelection selection =
        BackendSelection.choose(Backend.AUTO, Fallback.CPU, 0, cpu, () -> unbuildableGpu, device -> PRESENT);

    StartedRuntime started = StartedRuntime.start(selection, digits(), ModelRuntime.Options.defaults(),
        ServerMetrics.DISABLED);
    try (ModelRuntime runtime = started.runtime()) {
      assertThat(runtime.engineInfo().backend()).isEqualTo(OrtEngine.BACKEND);
      assertThat(started.selection().reason())
          .isEqualTo("auto: ONNX Runtime on the CPU because the TensorRT engine could not start: " + BUILD_FAILURE);
      assertThat(started.selection().health().accelerated()).isFalse();
      runtime.warmUp();
    }
  }

  @Test
  void tensorrt_whenTheEngineCannotStart_stopsWithTheFailure() {
    BackendSelection selection =
        BackendSelection.choose(Backend.TENSORRT, Fallback.CPU, 0, cpu, () -> unbuildableGpu, device -> PRESENT);

    assertThatThrownBy(() -> StartedRuntime.start(selection, digits(), ModelRuntime.Options.defaults(),
        ServerMetrics.DISABLED))
        .isInstanceOf(EngineException.class)
        .hasMessage(BUILD_FAILURE);
  }

  @Test
  void auto_whenTheEngineStarts_keepsTheSelection() throws Exception {
    BackendSelection selection = BackendSelection.choose(Backend.AUTO, Fallback.NONE, 0, cpu, () -> cpu, device -> PRESENT);

    StartedRuntime started = StartedRuntime.start(selection, digits(), ModelRuntime.Options.defaults(),
        ServerMetrics.DISABLED);
    try (ModelRuntime runtime = started.runtime()) {
      assertThat(started.selection()).isSameAs(selection);
    }
  }

  private static ModelSpec digits() throws Exception {
    return OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
  }
}
