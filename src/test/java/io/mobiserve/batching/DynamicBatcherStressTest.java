package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Exactly once under contention: 64 threads × 50 submissions of 1..20 images, mixed priorities, sources
 * and cancellations, through two echo engines on the real clock. Every result is checked by content.
 */
class DynamicBatcherStressTest {
  private static final int IMAGE_SIZE = 8;
  private static final int THREADS = 64;
  private static final int SUBMISSIONS = 50;

  private record Submitted(int firstId, float[] sums, AtomicBoolean cancelled, CompletableFuture<List<InferenceResult>> future) {}

  @Test
  void submit_answersEveryImageExactlyOnceWithItsOwnLogitsUnderContention() throws Exception {
    EchoEngine first = new EchoEngine(16, IMAGE_SIZE);
    EchoEngine second = new EchoEngine(16, IMAGE_SIZE);
    BatchingConfig config = BatchingConfig.defaults().withMaxQueueDelayNanos(200_000).withMaxQueuedImages(1 << 17)
        .withAgingBoundNanos(1_000_000);
    DynamicBatcher batcher = new DynamicBatcher(List.of(first, second), IMAGE_SIZE, config, SchedulerListener.NONE,
        System::nanoTime);
    ExecutorService producers = Executors.newFixedThreadPool(THREADS);
    List<Future<List<Submitted>>> perThread = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      perThread.add(producers.submit(() -> produce(batcher, thread)));
    }

    int answered = 0;
    int cancelled = 0;
    int totalImages = 0;
    for (Future<List<Submitted>> future : perThread) {
      for (Submitted submitted : future.get(60, TimeUnit.SECONDS)) {
        totalImages += submitted.sums().length;
        try {
          List<InferenceResult> results = submitted.future().get(60, TimeUnit.SECONDS);
          assertThat(results).hasSize(submitted.sums().length);
          for (int i = 0; i < results.size(); i++) {
            float[] logits = results.get(i).logits();
            assertThat(logits[0]).isEqualTo((float) (submitted.firstId() + i));
            assertThat(logits[1]).isEqualTo(submitted.sums()[i]);
            assertThat(results.get(i).batchSize()).isEqualTo((int) logits[2]).isBetween(1, 16);
          }
          answered += results.size();
        } catch (ExecutionException e) {
          assertThat(submitted.cancelled()).isTrue();
          assertThat(e.getCause()).isInstanceOf(SchedulingException.class);
          assertThat(((SchedulingException) e.getCause()).reason()).isEqualTo(SchedulingException.Reason.CANCELLED);
          cancelled += submitted.sums().length;
        }
      }
    }
    producers.shutdown();
    batcher.close();

    assertThat(answered + cancelled).isEqualTo(totalImages);
    assertThat(answered).isGreaterThan(totalImages / 2);
    Map<Float, Integer> runs = new HashMap<>();
    for (EchoEngine engine : List.of(first, second)) {
      for (List<Float> batch : engine.batches) {
        batch.forEach(id -> runs.merge(id, 1, Integer::sum));
      }
    }
    assertThat(runs.values()).as("no image ran twice").containsOnly(1);
    assertThat(runs.size()).isBetween(answered, totalImages);
    assertThat(first.batches).as("both instances worked").isNotEmpty();
    assertThat(second.batches).isNotEmpty();
    assertThat(batcher.queuedImages()).isZero();
  }

  private static List<Submitted> produce(DynamicBatcher batcher, int thread) {
    Random random = new Random(thread);
    List<Submitted> submitted = new ArrayList<>();
    int nextId = thread * 2_000; // ids stay below 2^24, exact in a float
    for (int s = 0; s < SUBMISSIONS; s++) {
      int images = 1 + random.nextInt(20);
      FloatBuffer input = ByteBuffer.allocateDirect(images * IMAGE_SIZE * Float.BYTES)
          .order(ByteOrder.nativeOrder()).asFloatBuffer();
      float[] sums = new float[images];
      for (int i = 0; i < images; i++) {
        input.put(i * IMAGE_SIZE, nextId + i);
        float sum = nextId + i;
        for (int j = 1; j < IMAGE_SIZE; j++) {
          float value = random.nextFloat();
          input.put(i * IMAGE_SIZE + j, value);
          sum += value;
        }
        sums[i] = sum;
      }
      AtomicBoolean cancelled = new AtomicBoolean();
      Priority priority = random.nextInt(4) == 0 ? Priority.LIVE : Priority.BULK;
      CompletableFuture<List<InferenceResult>> future = batcher.submit(new InferenceWork(
          Images.split(input, images), Long.MAX_VALUE, cancelled::get, priority, "source-" + thread % 8));
      if (random.nextInt(10) == 0) {
        cancelled.set(true); // may land before, during or after its batches
      }
      submitted.add(new Submitted(nextId, sums, cancelled, future));
      nextId += images;
    }
    return submitted;
  }
}
