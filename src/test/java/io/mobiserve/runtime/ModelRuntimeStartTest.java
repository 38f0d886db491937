package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.TestModels;
import io.mobiserve.testing.DigitsFixture;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Starting a runtime: the batch sizes decided once and handed to every engine, and a GPU that passes the
 * probe but cannot build its engine (auto serves on the CPU, tensorrt stops).
 */
class ModelRuntimeStartTest {
  private static final TensorRtAvailability PRESENT = new TensorRtAvailability(
      true, "TensorRT 10.15 on GPU 0", Optional.of(new TensorRtAvailability.CudaDevice(0, "NVIDIA H200", 9, 0, 141L << 30)));
  private static final String BUILD_FAILURE =
      "TensorRT could not parse model.onnx: 1 error: node 12 (HardSigmoid 'se/act'): unsupported";
  private static final RuntimeConfig CONFIG = RuntimeConfig.builder().backend(Backend.CPU).maxBatch(8).build();

  private final EngineFactory cpu = (model, batches) -> OrtEngine.open(model, batches, new OrtEngineOptions(1));
  private final EngineFactory unbuildableGpu = (model, batches) -> {
    throw new EngineException(BUILD_FAILURE);
  };

  @Test
  void auto_whenTheTensorRtEngineCannotStart_servesOnTheCpuSayingWhy() throws Exception {
    BackendChoice choice = BackendChoice.choose(Backend.AUTO, Fallback.CPU, 0, cpu, () -> unbuildableGpu, device -> PRESENT);

    try (ModelRuntime runtime = ModelRuntime.start(digits(), CONFIG, choice, RuntimeListener.NONE)) {
      assertThat(runtime.engineInfo().backend()).isEqualTo(OrtEngine.BACKEND);
      assertThat(runtime.backend().reason())
          .isEqualTo("auto: ONNX Runtime on the CPU because the TensorRT engine could not start: " + BUILD_FAILURE);
      assertThat(runtime.health().accelerated()).isFalse();
      runtime.warmUp();
    }
  }

  @Test
  void tensorrt_whenTheEngineCannotStart_stopsWithTheFailure() {
    BackendChoice choice =
        BackendChoice.choose(Backend.TENSORRT, Fallback.CPU, 0, cpu, () -> unbuildableGpu, device -> PRESENT);

    assertThatThrownBy(() -> ModelRuntime.start(digits(), CONFIG, choice, RuntimeListener.NONE))
        .isInstanceOf(EngineException.class)
        .hasMessage(BUILD_FAILURE);
  }

  @Test
  void auto_whenTheEngineStarts_keepsTheChoice() throws Exception {
    BackendChoice choice = BackendChoice.choose(Backend.AUTO, Fallback.NONE, 0, cpu, () -> cpu, device -> PRESENT);

    try (ModelRuntime runtime = ModelRuntime.start(digits(), CONFIG, choice, RuntimeListener.NONE)) {
      assertThat(runtime.backend()).isSameAs(choice);
    }
  }

  @Test
  void batchSizes_areDecidedOnce_andEveryEngineAndTheBatcherGetThem() throws Exception {
    List<BatchSizes> seen = new ArrayList<>();
    EngineFactory recording = (model, batches) -> {
      seen.add(batches);
      return cpu.create(model, batches);
    };
    RuntimeConfig config = CONFIG.toBuilder().instances(2).maxBatch(16)
        .preferredBatchSizes(new TreeSet<>(List.of(2, 4))).build();

    try (ModelRuntime runtime =
        ModelRuntime.start(fixedBatchOf2(), config, BackendChoice.of(recording, "test"), RuntimeListener.NONE)) {
      assertThat(seen).containsExactly(new BatchSizes(2, 2), new BatchSizes(2, 2));
      assertThat(runtime.maxBatch()).isEqualTo(2);
      assertThat(runtime.batching().preferredBatchSizes()).containsExactly(2);
      runtime.warmUp();
    }
  }

  @Test
  void aFailedInstance_closesTheOnesAlreadyStarted() {
    List<InferenceEngine> started = new ArrayList<>();
    List<Boolean> closed = new ArrayList<>();
    EngineFactory secondFails = (model, batches) -> {
      if (!started.isEmpty()) {
        throw new EngineException("out of memory");
      }
      InferenceEngine engine = cpu.create(model, batches);
      started.add(engine);
      return new ClosingSpy(engine, closed);
    };
    RuntimeConfig config = CONFIG.toBuilder().instances(2).build();

    assertThatThrownBy(() -> ModelRuntime.start(digits(), config, BackendChoice.of(secondFails, "test"),
        RuntimeListener.NONE)).hasMessage("out of memory");
    assertThat(closed).containsExactly(true);
  }

  /** Records that the engine it wraps was closed. */
  private record ClosingSpy(InferenceEngine engine, List<Boolean> closed) implements InferenceEngine {
    @Override
    public FloatBuffer input() {
      return engine.input();
    }

    @Override
    public Logits run(int batchSize) throws EngineException {
      return engine.run(batchSize);
    }

    @Override
    public EngineInfo info() {
      return engine.info();
    }

    @Override
    public void close() {
      closed.add(true);
      engine.close();
    }
  }

  private static ModelSpec digits() throws Exception {
    return OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
  }

  private static ModelSpec fixedBatchOf2() throws Exception {
    return OnnxModelLoader.load(TestModels.model("fixed-batch-2"), ModelOverrides.none());
  }
}
