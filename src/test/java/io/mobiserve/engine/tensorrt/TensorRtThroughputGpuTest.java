package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.mobilenet.BuiltinModelFile;
import io.mobiserve.testing.EngineRuns;
import io.mobiserve.testing.GpuSuite;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images per second of the built-in MobileNetV3-Large at batch 1, 8 and 64; printed, sanity-checked only. */
@Tag("gpu")
class TensorRtThroughputGpuTest {
  private static final int[] BATCHES = {1, 8, 64};
  private static final double SECONDS_PER_BATCH_SIZE = 2.0;

  @TempDir Path dir;

  @Test
  void builtinModel_throughputAtBatch1_8_64() throws Exception {
    GpuSuite.requireTensorRt();
    ModelSpec model = OnnxModelLoader.load(BuiltinModelFile.ensure(dir.resolve("models")), ModelOverrides.none());
    TensorRtEngineFactory factory =
        new TensorRtEngineFactory(GpuTestSupport.options(Precision.AUTO, dir.resolve("engines")));
    int image = model.input().elementCount();
    FloatBuffer input = ByteBuffer.allocateDirect(64 * image * Float.BYTES).order(ByteOrder.nativeOrder())
        .asFloatBuffer();

    try (InferenceEngine engine = factory.create(model, new BatchSizes(64, 8))) {
      for (int batch : BATCHES) {
        FloatBuffer slice = input.duplicate().limit(batch * image).slice();
        for (int warmup = 0; warmup < 20; warmup++) {
          EngineRuns.run(engine, slice, batch);
        }
        long images = 0;
        long started = System.nanoTime();
        long deadline = started + (long) (SECONDS_PER_BATCH_SIZE * 1e9);
        while (System.nanoTime() < deadline) {
          EngineRuns.run(engine, slice, batch);
          images += batch;
        }
        double perSecond = images / ((System.nanoTime() - started) / 1e9);
        System.out.printf("TensorRtThroughputGpuTest: %s, batch %d: %.0f img/s%n", engine.info().precision(), batch,
            perSecond);
        // Sanity only: a GPU that cannot beat the 2-core CPU's ~220 img/s at batch 1 is misconfigured.
        assertThat(perSecond).isGreaterThan(220);
      }
    }
  }
}
