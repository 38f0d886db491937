package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.FailoverEngine;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.WatchedEngine;
import io.mobiserve.engine.tensorrt.GpuDevice;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import java.nio.FloatBuffer;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class BackendSelectionTest {
  private static final TensorRtAvailability MISSING =
      new TensorRtAvailability(false, "libnvinfer.so.10: cannot open shared object file", Optional.empty());
  private static final TensorRtAvailability PRESENT = new TensorRtAvailability(
      true, "TensorRT 10.15 on GPU 0", Optional.of(new GpuDevice(0, "NVIDIA H200", 9, 0, 141L << 30)));

  /** Answers {@code value} for every image, or throws a CUDA error. */
  private record FixedEngine(String backend, float value, boolean broken) implements InferenceEngine {
    @Override
    public Logits infer(FloatBuffer input, int batchSize) throws EngineException {
      if (broken) {
        throw new EngineException("CUDA error 700");
      }
      float[] logits = new float[batchSize];
      java.util.Arrays.fill(logits, value);
      return new Logits(logits, batchSize, 1);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo(backend, "fp32", 8);
    }

    @Override
    public void close() {}
  }

  private final AtomicInteger probes = new AtomicInteger();
  private final AtomicInteger tensorRtFactories = new AtomicInteger();
  private final EngineFactory cpu = model -> new FixedEngine("onnxruntime-cpu", 2f, false);
  private final EngineFactory brokenGpu = model -> new FixedEngine("tensorrt", 1f, true);
  private final Supplier<EngineFactory> tensorRt = () -> {
    tensorRtFactories.incrementAndGet();
    return brokenGpu;
  };

  private IntFunction<TensorRtAvailability> probe(TensorRtAvailability answer) {
    return device -> {
      probes.incrementAndGet();
      return answer;
    };
  }

  @Test
  void cpu_neverProbesTensorRt() {
    BackendSelection selection = BackendSelection.choose(Backend.CPU, Fallback.CPU, 0, cpu, tensorRt,
        device -> {
          throw new AssertionError("--backend cpu probed CUDA");
        });

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).isEqualTo("cpu: requested with --backend cpu");
    assertThat(selection.health().accelerated()).isFalse();
    assertThat(tensorRtFactories).hasValue(0);
  }

  @Test
  void auto_withoutTensorRt_runsOnTheCpuAndSaysWhy() {
    BackendSelection selection = BackendSelection.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, probe(MISSING));

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).isEqualTo("auto: ONNX Runtime on the CPU because TensorRT cannot run here: "
        + "libnvinfer.so.10: cannot open shared object file");
    assertThat(selection.health().accelerated()).isFalse();
    assertThat(probes).hasValue(1);
    assertThat(tensorRtFactories).hasValue(0);
  }

  @Test
  void auto_inAJarWithoutTheCudaBindings_runsOnTheCpuSayingSo() {
    // What the probe meets in a -Pcpu-only jar: the preset classes are not there at all.
    BackendSelection selection = BackendSelection.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, device -> {
      throw new NoClassDefFoundError("org/bytedeco/cuda/global/cudart");
    });

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).isEqualTo("auto: ONNX Runtime on the CPU because TensorRT cannot run here: this jar"
        + " has no CUDA and TensorRT bindings (built with -Pcpu-only; org/bytedeco/cuda/global/cudart is missing)");
  }

  @Test
  void auto_whoseProbeThrows_stillRunsOnTheCpu() {
    BackendSelection selection = BackendSelection.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, device -> {
      throw new UnsatisfiedLinkError("no jnicudart in java.library.path");
    });

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).contains("TensorRT cannot run here").contains("no jnicudart");
  }

  @Test
  void auto_withTensorRt_runsOnTheGpuNamingIt() {
    BackendSelection selection = BackendSelection.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, probe(PRESENT));

    assertThat(selection.reason()).startsWith("auto: TensorRT can run here, on GPU 0 (NVIDIA H200, compute capability 9.0)");
    assertThat(selection.health().accelerated()).isTrue();
  }

  @Test
  void tensorrt_thatCannotRunHere_isAConfigurationErrorNamingWhatIsMissing() {
    assertThatThrownBy(() -> BackendSelection.choose(Backend.TENSORRT, Fallback.CPU, 1, cpu, tensorRt, probe(MISSING)))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("--backend tensorrt: TensorRT cannot run here: libnvinfer.so.10")
        .satisfies(e -> assertThat(ExitCodes.of(e)).isEqualTo(ExitCodes.CONFIGURATION));
    assertThat(tensorRtFactories).hasValue(0);
  }

  @Test
  void tensorrt_probesTheRequestedDevice() {
    AtomicInteger probed = new AtomicInteger(-1);

    BackendSelection.choose(Backend.TENSORRT, Fallback.CPU, 3, cpu, tensorRt, device -> {
      probed.set(device);
      return PRESENT;
    });

    assertThat(probed).hasValue(3);
  }

  @Test
  void tensorrt_withCpuFallback_answersFromTheCpuWhenTheGpuFails() throws EngineException {
    BackendSelection selection = BackendSelection.choose(Backend.TENSORRT, Fallback.CPU, 0, cpu, tensorRt, probe(PRESENT));

    InferenceEngine engine = selection.factory().create(null);
    Logits logits = engine.infer(FloatBuffer.allocate(4), 2);

    assertThat(engine).isInstanceOf(FailoverEngine.class);
    assertThat(logits.row(1)).containsExactly(2f);
    assertThat(selection.health().degraded()).isTrue();
    assertThat(selection.health().fallback()).isEqualTo("onnxruntime-cpu");
    assertThat(selection.reason()).startsWith("tensorrt: requested with --backend tensorrt, on GPU 0")
        .endsWith("ONNX Runtime on the CPU takes over if it fails");
  }

  @Test
  void tensorrt_withoutFallback_failsTheBatchButReportsTheGpuDegraded() throws EngineException {
    BackendSelection selection = BackendSelection.choose(Backend.TENSORRT, Fallback.NONE, 0, cpu, tensorRt, probe(PRESENT));

    InferenceEngine engine = selection.factory().create(null);
    assertThat(engine).isInstanceOf(WatchedEngine.class);
    assertThat(engine.info().backend()).isEqualTo("tensorrt");
    assertThatThrownBy(() -> engine.infer(FloatBuffer.allocate(1), 1))
        .isInstanceOf(EngineException.class)
        .hasMessage("CUDA error 700");
    assertThat(selection.health().accelerated()).isTrue();
    assertThat(selection.health().degraded()).isTrue();
    assertThat(selection.health().degradedReason()).isEqualTo("tensorrt failed: CUDA error 700");
    assertThat(selection.health().fallback()).isEmpty();
    assertThat(selection.reason()).endsWith("no fallback (--fallback none)");
  }
}
