package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.EngineRuns;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The batcher in front of real ONNX Runtime sessions: hundreds of concurrent submissions of distinct inputs
 * each get back the logits the model gives that input alone.
 */
class DynamicBatcherOrtTest {
  private static final int INPUTS = 240;

  @Test
  void submit_givesEachConcurrentCallerItsOwnLogitsFromRealBatches() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    int imageSize = spec.input().elementCount();
    Random random = new Random(42);
    float[][] inputs = new float[INPUTS][imageSize];
    for (float[] input : inputs) {
      for (int j = 0; j < imageSize; j++) {
        input[j] = (float) random.nextGaussian();
      }
    }
    float[][] expected = new float[INPUTS][];
    try (OrtEngine alone = OrtEngine.open(spec, BatchSizes.upTo(1), new OrtEngineOptions(1))) {
      for (int i = 0; i < INPUTS; i++) {
        Logits logits = EngineRuns.run(alone, direct(inputs[i]), 1);
        expected[i] = logits.row(0);
      }
    }

    List<OrtEngine> engines = List.of(OrtEngine.open(spec, BatchSizes.upTo(16), new OrtEngineOptions(1)),
        OrtEngine.open(spec, BatchSizes.upTo(16), new OrtEngineOptions(1)));
    DynamicBatcher batcher = new DynamicBatcher(List.copyOf(engines), imageSize, BatchingConfig.defaults(),
        SchedulerListener.NONE, System::nanoTime);
    ExecutorService callers = Executors.newFixedThreadPool(16);
    List<CompletableFuture<List<InferenceResult>>> futures = new ArrayList<>();
    List<int[]> indexes = new ArrayList<>();
    try {
      // Works of 1 to 3 images, each from its own thread, so that callers' images share batches.
      List<CompletableFuture<CompletableFuture<List<InferenceResult>>>> submissions = new ArrayList<>();
      for (int first = 0; first < INPUTS; ) {
        int count = Math.min(1 + first % 3, INPUTS - first);
        int[] ids = new int[count];
        for (int k = 0; k < count; k++) {
          ids[k] = first + k;
        }
        indexes.add(ids);
        submissions.add(CompletableFuture.supplyAsync(() -> batcher.submit(work(inputs, ids)), callers));
        first += count;
      }
      for (CompletableFuture<CompletableFuture<List<InferenceResult>>> submission : submissions) {
        futures.add(submission.get(60, TimeUnit.SECONDS));
      }
      int largestBatch = 0;
      for (int w = 0; w < futures.size(); w++) {
        List<InferenceResult> results = futures.get(w).get(120, TimeUnit.SECONDS);
        int[] ids = indexes.get(w);
        assertThat(results).hasSize(ids.length);
        for (int k = 0; k < ids.length; k++) {
          float[] actual = results.get(k).logits();
          assertThat(actual).as("input %d", ids[k]).hasSize(expected[ids[k]].length);
          for (int c = 0; c < actual.length; c++) {
            assertThat(actual[c]).as("input %d class %d", ids[k], c)
                .isCloseTo(expected[ids[k]][c], org.assertj.core.api.Assertions.within(1e-4f));
          }
          largestBatch = Math.max(largestBatch, results.get(k).batchSize());
        }
      }
      assertThat(largestBatch).as("callers' images were merged into batches").isGreaterThan(1);
    } finally {
      callers.shutdown();
      batcher.close();
    }
  }

  private static InferenceWork work(float[][] inputs, int[] ids) {
    int imageSize = inputs[0].length;
    FloatBuffer buffer = ByteBuffer.allocateDirect(ids.length * imageSize * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int id : ids) {
      buffer.put(inputs[id]);
    }
    buffer.flip();
    return new InferenceWork(Images.split(buffer, ids.length), Long.MAX_VALUE, () -> false, Priority.BULK,
        "caller-" + ids[0]);
  }

  private static FloatBuffer direct(float[] values) {
    FloatBuffer buffer = ByteBuffer.allocateDirect(values.length * Float.BYTES).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    buffer.put(values).flip();
    return buffer;
  }
}
