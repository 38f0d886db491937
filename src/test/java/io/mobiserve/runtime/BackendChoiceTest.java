package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Labels;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.Preprocessing;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class BackendChoiceTest {
  private static final InputShape INPUT = new InputShape(3, 1, 1);
  private static final ModelSpec MODEL = new ModelSpec("tiny", "a 3x1x1 test model", Path.of("unused.onnx"), "input",
      INPUT, 1, Labels.none(), Preprocessing.torchvisionDefaults(INPUT), true, "");
  private static final TensorRtAvailability MISSING =
      new TensorRtAvailability(false, "libnvinfer.so.10: cannot open shared object file", Optional.empty());
  private static final TensorRtAvailability PRESENT = new TensorRtAvailability(
      true, "TensorRT 10.15 on GPU 0", Optional.of(new TensorRtAvailability.CudaDevice(0, "NVIDIA H200", 9, 0, 141L << 30)));

  /** Answers {@code value} for every image, or throws a CUDA error. */
  private record FixedEngine(String backend, float value, boolean broken, FloatBuffer input)
      implements InferenceEngine {
    FixedEngine(String backend, float value, boolean broken) {
      this(backend, value, broken, FloatBuffer.allocate(8 * INPUT.elementCount()));
    }

    @Override
    public Logits run(int batchSize) throws EngineException {
      if (broken) {
        throw new EngineException("CUDA error 700");
      }
      float[] logits = new float[batchSize];
      java.util.Arrays.fill(logits, value);
      return new Logits(logits, batchSize, 1);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo(backend, "fp32");
    }

    @Override
    public void close() {}
  }

  private final AtomicInteger probes = new AtomicInteger();
  private final AtomicInteger tensorRtFactories = new AtomicInteger();
  private final EngineFactory cpu = (model, batches) -> new FixedEngine("onnxruntime-cpu", 2f, false);
  private final EngineFactory brokenGpu = (model, batches) -> new FixedEngine("tensorrt", 1f, true);
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
    BackendChoice selection = BackendChoice.choose(Backend.CPU, Fallback.CPU, 0, cpu, tensorRt,
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
    BackendChoice selection = BackendChoice.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, probe(MISSING));

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
    BackendChoice selection = BackendChoice.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, device -> {
      throw new NoClassDefFoundError("org/bytedeco/cuda/global/cudart");
    });

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).isEqualTo("auto: ONNX Runtime on the CPU because TensorRT cannot run here: this jar"
        + " has no CUDA and TensorRT bindings (built with -Pcpu-only; org/bytedeco/cuda/global/cudart is missing)");
  }

  @Test
  void auto_whoseProbeThrows_stillRunsOnTheCpu() {
    BackendChoice selection = BackendChoice.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, device -> {
      throw new UnsatisfiedLinkError("no jnicudart in java.library.path");
    });

    assertThat(selection.factory()).isSameAs(cpu);
    assertThat(selection.reason()).contains("TensorRT cannot run here").contains("no jnicudart");
  }

  @Test
  void auto_withTensorRt_runsOnTheGpuNamingIt() {
    BackendChoice selection = BackendChoice.choose(Backend.AUTO, Fallback.CPU, 0, cpu, tensorRt, probe(PRESENT));

    assertThat(selection.reason()).startsWith("auto: TensorRT can run here, on GPU 0 (NVIDIA H200, compute capability 9.0)");
    assertThat(selection.health().accelerated()).isTrue();
  }

  @Test
  void tensorrt_thatCannotRunHere_isAConfigurationErrorNamingWhatIsMissing() {
    assertThatThrownBy(() -> BackendChoice.choose(Backend.TENSORRT, Fallback.CPU, 1, cpu, tensorRt, probe(MISSING)))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageStartingWith("--backend tensorrt: TensorRT cannot run here: libnvinfer.so.10");
    assertThat(tensorRtFactories).hasValue(0);
  }

  @Test
  void tensorrt_probesTheRequestedDevice() {
    AtomicInteger probed = new AtomicInteger(-1);

    BackendChoice.choose(Backend.TENSORRT, Fallback.CPU, 3, cpu, tensorRt, device -> {
      probed.set(device);
      return PRESENT;
    });

    assertThat(probed).hasValue(3);
  }

  @Test
  void tensorrt_withCpuFallback_answersFromTheCpuWhenTheGpuFails() throws EngineException {
    BackendChoice selection = BackendChoice.choose(Backend.TENSORRT, Fallback.CPU, 0, cpu, tensorRt, probe(PRESENT));

    InferenceEngine engine = selection.factory().create(MODEL, BatchSizes.upTo(8));
    Logits logits = engine.run(2);

    assertThat(engine).isInstanceOf(FailoverEngine.class);
    assertThat(logits.row(1)).containsExactly(2f);
    assertThat(selection.health().degraded()).isTrue();
    assertThat(selection.health().fallback()).isEqualTo("onnxruntime-cpu");
    assertThat(selection.reason()).startsWith("tensorrt: requested with --backend tensorrt, on GPU 0")
        .endsWith("ONNX Runtime on the CPU takes over if it fails");
  }

  @Test
  void tensorrt_withoutFallback_failsTheBatchButReportsTheGpuDegraded() throws EngineException {
    BackendChoice selection = BackendChoice.choose(Backend.TENSORRT, Fallback.NONE, 0, cpu, tensorRt, probe(PRESENT));

    InferenceEngine engine = selection.factory().create(MODEL, BatchSizes.upTo(8));
    assertThat(engine).isInstanceOf(WatchedEngine.class);
    assertThat(engine.info().backend()).isEqualTo("tensorrt");
    assertThatThrownBy(() -> engine.run(1))
        .isInstanceOf(EngineException.class)
        .hasMessage("CUDA error 700");
    assertThat(selection.health().accelerated()).isTrue();
    assertThat(selection.health().degraded()).isTrue();
    assertThat(selection.health().degradedReason()).isEqualTo("tensorrt failed: CUDA error 700");
    assertThat(selection.health().fallback()).isEmpty();
    assertThat(selection.reason()).endsWith("no fallback (--fallback none)");
  }
}
