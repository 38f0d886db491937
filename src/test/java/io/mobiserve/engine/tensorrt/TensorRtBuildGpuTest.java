package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.mobilenet.BuiltinModelFile;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.EngineRuns;
import io.mobiserve.testing.GpuSuite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building engines on a real GPU, and reusing them from the engine cache. */
@Tag("gpu")
class TensorRtBuildGpuTest {
  @TempDir Path dir;

  @Test
  void builtinModel_buildsAndRunsEveryBatchSizeUpToMax() throws Exception {
    GpuSuite.requireTensorRt();
    ModelSpec model = OnnxModelLoader.load(BuiltinModelFile.ensure(dir.resolve("models")), ModelOverrides.none());
    TensorRtEngineFactory factory =
        new TensorRtEngineFactory(GpuTestSupport.options(Precision.FP32, dir.resolve("engines")));

    try (InferenceEngine engine = factory.create(model, new BatchSizes(8, 4))) {
      assertThat(engine.info()).isEqualTo(new EngineInfo("tensorrt-gpu", "fp32"));
      for (int batch : new int[] {1, 3, 8}) {
        Logits logits = EngineRuns.run(engine, random(batch * model.input().elementCount(), batch), batch);

        assertThat(logits.batchSize()).isEqualTo(batch);
        assertThat(logits.classes()).isEqualTo(1000);
        assertThat(logits.row(batch - 1)).doesNotContain(Float.NaN);
      }
    }
    assertThat(factory.enginesBuilt()).isEqualTo(1);
  }

  @Test
  void secondFactory_loadsTheEngineFromTheCache_withoutRebuilding() throws Exception {
    GpuSuite.requireTensorRt();
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    TensorRtOptions options = GpuTestSupport.options(Precision.FP32, dir.resolve("engines"));
    FloatBuffer input = random(2 * model.input().elementCount(), 42);

    TensorRtEngineFactory first = new TensorRtEngineFactory(options);
    float[] firstRow;
    try (InferenceEngine engine = first.create(model, new BatchSizes(16, 8))) {
      firstRow = EngineRuns.run(engine, input, 2).row(1);
    }
    Path engineFile = engineFile(options.engineCacheDir());
    FileTime written = Files.getLastModifiedTime(engineFile);

    TensorRtEngineFactory second = new TensorRtEngineFactory(options);
    float[] secondRow;
    try (InferenceEngine engine = second.create(model, new BatchSizes(16, 8))) {
      secondRow = EngineRuns.run(engine, input, 2).row(1);
    }

    assertThat(first.enginesBuilt()).isEqualTo(1);
    assertThat(second.enginesBuilt()).isZero();
    assertThat(Files.getLastModifiedTime(engineFile)).isEqualTo(written);
    assertThat(secondRow).containsExactly(firstRow);
    try (Stream<Path> files = Files.list(options.engineCacheDir())) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(name -> name.startsWith("timing-"));
    }
  }

  @Test
  void oneFactory_createsIndependentInstances_andReusesClosedContexts() throws Exception {
    GpuSuite.requireTensorRt();
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    TensorRtEngineFactory factory =
        new TensorRtEngineFactory(GpuTestSupport.options(Precision.FP32, dir.resolve("engines")));
    FloatBuffer input = random(model.input().elementCount(), 7);

    try (InferenceEngine a = factory.create(model, BatchSizes.upTo(4));
        InferenceEngine b = factory.create(model, BatchSizes.upTo(4))) {
      assertThat(EngineRuns.run(b, input, 1).row(0)).containsExactly(EngineRuns.run(a, input, 1).row(0));
    }
    InferenceEngine c = factory.create(model, BatchSizes.upTo(4));
    assertThat(EngineRuns.run(c, input, 1).classes()).isEqualTo(10);
    c.close();
    c.close(); // idempotent
    assertThat(factory.enginesBuilt()).isEqualTo(1);
  }

  private static Path engineFile(Path cacheDir) throws Exception {
    try (Stream<Path> files = Files.list(cacheDir)) {
      return files.filter(p -> p.toString().endsWith(".engine")).findFirst().orElseThrow();
    }
  }

  private static FloatBuffer random(int floats, long seed) {
    Random random = new Random(seed);
    FloatBuffer buffer = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    while (buffer.hasRemaining()) {
      buffer.put((float) random.nextGaussian());
    }
    return buffer.flip();
  }
}
