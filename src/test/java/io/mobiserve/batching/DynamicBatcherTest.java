package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.batching.SchedulingException.Reason;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batcher's behaviour through a fake engine and a fake clock; nothing here sleeps. */
class DynamicBatcherTest {
  private static final int IMAGE_SIZE = 3;
  private static final long T0 = 1_000_000;
  private static final long MS = 1_000_000;
  /** Send at once: tests that are not about the delay control batches with the engine's gate. */
  private static final BatchingConfig NO_DELAY = BatchingConfig.defaults().withMaxQueueDelayNanos(0);

  private final ManualTime time = new ManualTime(T0);
  private final List<EchoEngine> engines = new ArrayList<>();
  private final List<DynamicBatcher> batchers = new ArrayList<>();
  private final RecordingListener listener = new RecordingListener();

  @AfterEach
  void closeBatchers() {
    engines.forEach(EchoEngine::open);
    batchers.forEach(DynamicBatcher::close);
  }

  private EchoEngine engine(int maxBatch) {
    EchoEngine engine = new EchoEngine(maxBatch, IMAGE_SIZE);
    engines.add(engine);
    return engine;
  }

  private DynamicBatcher batcher(BatchingConfig config, InferenceEngine... instances) {
    DynamicBatcher batcher = new DynamicBatcher(List.of(instances), IMAGE_SIZE, config, listener, time, time);
    batchers.add(batcher);
    return batcher;
  }

  /** Work of {@code images} images whose first values are first, first + 1, ... */
  private static InferenceWork work(int images, float first, Priority priority, String source, long deadline,
      AtomicBoolean cancelled) {
    FloatBuffer input = ByteBuffer.allocateDirect(images * IMAGE_SIZE * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < images; i++) {
      input.put(i * IMAGE_SIZE, first + i);
    }
    return new InferenceWork(Images.split(input, images), deadline, cancelled::get, priority, source);
  }

  private static InferenceWork work(int images, float first, String source) {
    return work(images, first, Priority.BULK, source, Long.MAX_VALUE, new AtomicBoolean());
  }

  private static InferenceWork work(int images, float first) {
    return work(images, first, "test");
  }

  private static List<InferenceResult> resultOf(CompletableFuture<List<InferenceResult>> future) throws Exception {
    return future.get(10, TimeUnit.SECONDS);
  }

  private static List<Integer> firstValues(List<InferenceResult> results) {
    return results.stream().map(r -> (int) r.logits()[0]).toList();
  }

  private static Throwable failureOf(CompletableFuture<?> future) throws InterruptedException {
    try {
      future.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected the future to fail");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("the future was never completed", e);
    }
  }

  private static Reason reasonOf(CompletableFuture<?> future) throws InterruptedException {
    Throwable failure = failureOf(future);
    assertThat(failure).isInstanceOf(SchedulingException.class);
    return ((SchedulingException) failure).reason();
  }

  private static List<Float> floats(int... values) {
    List<Float> list = new ArrayList<>();
    for (int value : values) {
      list.add((float) value);
    }
    return list;
  }

  @Test
  void submit_answersEachImageWithItsOwnLogitsInOrder() throws Exception {
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine(8));

    List<InferenceResult> results = resultOf(batcher.submit(work(3, 10f)));

    assertThat(firstValues(results)).containsExactly(10, 11, 12);
    assertThat(results).extracting(InferenceResult::batchSize).containsOnly(3);
  }

  @Test
  void submit_splitsAWorkLargerThanMaxBatchAndReassemblesItInOrder() throws Exception {
    EchoEngine engine = engine(16);
    DynamicBatcher batcher = batcher(NO_DELAY, engine);

    List<InferenceResult> results = resultOf(batcher.submit(work(50, 0f)));

    assertThat(firstValues(results)).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 50).boxed().toList());
    assertThat(engine.batches).extracting(List::size).containsExactly(16, 16, 16, 2);
    assertThat(results.subList(48, 50)).extracting(InferenceResult::batchSize).containsOnly(2);
    assertThat(results.subList(0, 48)).extracting(InferenceResult::batchSize).containsOnly(16);
  }

  @Test
  void submit_mergesSingleImagesFromManyCallersIntoOneBatch() throws Exception {
    EchoEngine engine = engine(16);
    DynamicBatcher batcher = batcher(NO_DELAY, engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 100f));
    engine.awaitEntered();
    List<CompletableFuture<List<InferenceResult>>> singles = new ArrayList<>();
    for (int caller = 0; caller < 5; caller++) {
      singles.add(batcher.submit(work(1, caller, "caller-" + caller)));
    }
    assertThat(batcher.queuedImages()).isEqualTo(5);

    engine.open();

    for (int caller = 0; caller < 5; caller++) {
      InferenceResult result = resultOf(singles.get(caller)).get(0);
      assertThat(result.logits()[0]).isEqualTo(caller);
      assertThat(result.batchSize()).isEqualTo(5);
    }
    assertThat(resultOf(running)).hasSize(1);
    assertThat(engine.batches).extracting(List::size).containsExactly(1, 5);
  }

  @Test
  void submit_letsTheTailOfALargeWorkShareABatchWithOtherCallers() throws Exception {
    EchoEngine engine = engine(4);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(4), engine);
    engine.hold();
    batcher.submit(work(1, 100f, "x"));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> large = batcher.submit(work(6, 0f, "a"));
    engine.pass(1);
    engine.awaitEntered(); // a's first four images are running
    CompletableFuture<List<InferenceResult>> small = batcher.submit(work(1, 50f, "b"));

    engine.open();

    assertThat(firstValues(resultOf(large))).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(resultOf(large)).extracting(InferenceResult::batchSize).containsExactly(4, 4, 4, 4, 3, 3);
    assertThat(resultOf(small).get(0).batchSize()).isEqualTo(3);
    assertThat(engine.batches).containsExactly(floats(100), floats(0, 1, 2, 3), floats(4, 50, 5));
  }

  @Test
  void submit_refusesAWholeWorkAtOnceWhenItWouldOverfillTheQueue() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8).withMaxQueuedImages(5), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 0f));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> queued = batcher.submit(work(4, 1f));

    CompletableFuture<List<InferenceResult>> refused = batcher.submit(work(2, 5f));

    assertThat(refused).isCompletedExceptionally();
    assertThat(reasonOf(refused)).isEqualTo(Reason.QUEUE_FULL);
    assertThat(failureOf(refused)).hasMessageContaining("4 of 5 images queued");
    assertThat(batcher.queuedImages()).isEqualTo(4); // none of the refused work's images got in
    CompletableFuture<List<InferenceResult>> fits = batcher.submit(work(1, 9f));
    assertThat(batcher.queuedImages()).isEqualTo(5);
    engine.open();
    assertThat(resultOf(running)).hasSize(1);
    assertThat(resultOf(queued)).hasSize(4);
    assertThat(resultOf(fits)).hasSize(1);
    assertThat(listener.events).contains("dropped QUEUE_FULL 2");
  }

  @Test
  void submit_refusesAWorkLargerThanTheWholeQueue() throws Exception {
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxQueuedImages(5), engine(16));

    CompletableFuture<List<InferenceResult>> refused = batcher.submit(work(6, 0f));

    assertThat(reasonOf(refused)).isEqualTo(Reason.QUEUE_FULL);
    assertThat(failureOf(refused)).hasMessageContaining("6 images exceed the inference queue's 5 images");
  }

  @Test
  void submit_refusesImagesOfTheWrongSize() {
    DynamicBatcher batcher = batcher(NO_DELAY, engine(16));
    FloatBuffer input = ByteBuffer.allocateDirect(8 * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();

    assertThatThrownBy(() -> batcher.submit(new InferenceWork(Images.split(input, 2), Long.MAX_VALUE, () -> false,
        Priority.BULK, "x"))).hasMessage("image 0 of 4 floats does not fit a model input of 3 floats");
    assertThat(batcher.queuedImages()).isZero();
  }

  @Test
  void submit_dropsCancelledWorkBeforeItReachesAnEngine() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 0f));
    engine.awaitEntered();
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<List<InferenceResult>> gone =
        batcher.submit(work(2, 10f, Priority.BULK, "a", Long.MAX_VALUE, cancelled));
    CompletableFuture<List<InferenceResult>> wanted = batcher.submit(work(1, 20f, "b"));

    cancelled.set(true);
    engine.open();

    assertThat(reasonOf(gone)).isEqualTo(Reason.CANCELLED);
    assertThat(resultOf(wanted).get(0).batchSize()).isEqualTo(1); // the cancelled images took no slot
    assertThat(resultOf(running)).hasSize(1);
    assertThat(engine.batches).containsExactly(floats(0), floats(20));
    assertThat(batcher.queuedImages()).isZero();
    assertThat(listener.events).contains("dropped CANCELLED 2");
  }

  @Test
  void submit_answersAnExpiredWorkAtItsDeadlineWhileItWaitsForTheBatchDelay() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8).withMaxQueueDelayNanos(MS), engine);

    CompletableFuture<List<InferenceResult>> late =
        batcher.submit(work(1, 0f, Priority.LIVE, "a", T0 + 300_000, new AtomicBoolean()));

    assertThat(time.nextPlannedWake()).isEqualTo(T0 + 300_000); // the deadline, not the 1 ms delay
    assertThat(late).isNotDone();
    time.advance(batcher, 300_000);
    assertThat(reasonOf(late)).isEqualTo(Reason.DEADLINE_EXPIRED);
    assertThat(failureOf(late)).hasMessageContaining("after 300 µs in the queue");
    assertThat(engine.batches).isEmpty();
    assertThat(batcher.queuedImages()).isZero();
  }

  @Test
  void submit_expiresQueuedWorkOnTimeEvenWhileEveryInstanceIsBusy() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 0f));
    engine.awaitEntered();

    CompletableFuture<List<InferenceResult>> late =
        batcher.submit(work(2, 1f, Priority.BULK, "a", T0 + 500, new AtomicBoolean()));

    assertThat(time.nextPlannedWake()).isEqualTo(T0 + 500);
    time.advance(batcher, 500);
    assertThat(reasonOf(late)).isEqualTo(Reason.DEADLINE_EXPIRED); // while the engine is still held
    assertThat(running).isNotDone();
    assertThat(listener.events).contains("dropped DEADLINE_EXPIRED 2");
    engine.open();
    assertThat(resultOf(running)).hasSize(1);
    assertThat(engine.batches).containsExactly(floats(0));
  }

  @Test
  void submit_dropsWorkWhoseDeadlineComesBeforeABatchCouldFinish_withoutComputingIt() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> measured = batcher.submit(work(1, 0f));
    engine.awaitEntered();
    time.advance(batcher, 10 * MS); // this batch takes 10 ms
    engine.pass(1);
    assertThat(resultOf(measured)).hasSize(1);
    CompletableFuture<List<InferenceResult>> busy = batcher.submit(work(1, 1f));
    engine.awaitEntered();

    long now = time.getAsLong();
    CompletableFuture<List<InferenceResult>> hopeless =
        batcher.submit(work(1, 2f, Priority.BULK, "a", now + 5 * MS, new AtomicBoolean()));
    CompletableFuture<List<InferenceResult>> feasible =
        batcher.submit(work(1, 3f, Priority.BULK, "b", now + 50 * MS, new AtomicBoolean()));

    assertThat(reasonOf(hopeless)).isEqualTo(Reason.DEADLINE_EXPIRED);
    assertThat(failureOf(hopeless)).hasMessageContaining("would pass before a batch could finish");
    assertThat(time.getAsLong()).as("answered before its deadline, not at it").isEqualTo(now);
    engine.open();
    assertThat(resultOf(busy)).hasSize(1);
    assertThat(resultOf(feasible)).hasSize(1);
    assertThat(engine.batches).doesNotContain(floats(2));
  }

  @Test
  void estimatedNanos_growsWithTheQueue_atTheMeasuredSpeed() throws Exception {
    EchoEngine engine = engine(4);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(4), engine);
    assertThat(batcher.estimatedNanos(1)).as("nothing measured yet").isZero();
    assertThat(batcher.idleNanos(1)).as("nothing measured yet").isZero();
    engine.hold();
    CompletableFuture<List<InferenceResult>> measured = batcher.submit(work(4, 0f));
    engine.awaitEntered();
    time.advance(batcher, 8 * MS); // 4 images in 8 ms: 2 ms each
    engine.pass(1);
    resultOf(measured);
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 10f));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> queued = batcher.submit(work(4, 20f));

    // 4 queued + 2 new images at 2 ms, behind the running batch (8 ms), then their own batch (8 ms).
    assertThat(batcher.estimatedNanos(2)).isEqualTo(6 * 2 * MS + 8 * MS + 8 * MS);
    assertThat(batcher.idleNanos(2)).as("what 2 images take alone, whatever is queued").isEqualTo(2 * 2 * MS);
    engine.open();
    assertThat(resultOf(running)).hasSize(1);
    assertThat(resultOf(queued)).hasSize(4);
  }

  @Test
  void submit_waitsTheMaxQueueDelayThenSendsAPartialBatch() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8).withMaxQueueDelayNanos(MS), engine);

    CompletableFuture<List<InferenceResult>> first = batcher.submit(work(1, 0f, "a"));
    assertThat(time.nextPlannedWake()).isEqualTo(T0 + MS);
    CompletableFuture<List<InferenceResult>> second = batcher.submit(work(2, 1f, "b"));
    // The timer's plan stands (still the oldest image's delay): nothing leaves before it.
    assertThat(first).isNotDone();
    assertThat(second).isNotDone();
    time.advance(batcher, MS);

    assertThat(resultOf(first).get(0).batchSize()).isEqualTo(3);
    assertThat(resultOf(second)).extracting(InferenceResult::batchSize).containsOnly(3);
    assertThat(resultOf(first).get(0).queueNanos()).isEqualTo(MS);
  }

  @Test
  void submit_sendsAtAPreferredSizeWithoutWaitingForTheDelay() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8).withMaxQueueDelayNanos(MS)
        .withPreferredBatchSizes(new TreeSet<>(List.of(2))), engine);

    CompletableFuture<List<InferenceResult>> first = batcher.submit(work(1, 0f, "a"));
    assertThat(time.nextPlannedWake()).isEqualTo(T0 + MS);
    CompletableFuture<List<InferenceResult>> second = batcher.submit(work(1, 1f, "b"));

    assertThat(resultOf(first).get(0).batchSize()).isEqualTo(2); // the clock never moved
    assertThat(resultOf(second).get(0).batchSize()).isEqualTo(2);
  }

  @Test
  void submit_discardsImagesOfAnExpiredWorkThatAreAlreadyInARunningBatch() throws Exception {
    EchoEngine engine = engine(4);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(4), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> work =
        batcher.submit(work(6, 0f, Priority.BULK, "a", T0 + 1_000, new AtomicBoolean()));
    engine.awaitEntered(); // images 0..3 run; 4 and 5 wait
    assertThat(time.nextPlannedWake()).isEqualTo(T0 + 1_000);

    time.advance(batcher, 1_000);

    assertThat(reasonOf(work)).isEqualTo(Reason.DEADLINE_EXPIRED);
    engine.open();
    assertThat(resultOf(batcher.submit(work(1, 9f))).get(0).batchSize()).isEqualTo(1);
    assertThat(engine.batches).containsExactly(floats(0, 1, 2, 3), floats(9));
    assertThat(batcher.queuedImages()).isZero();
    assertThat(listener.events).contains("dropped DEADLINE_EXPIRED 2");
  }

  @Test
  void submit_reportsQueueTimeFromTheClock() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine);
    engine.hold();
    batcher.submit(work(1, 0f));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> second = batcher.submit(work(1, 1f));

    time.advance(batcher, 7_000);
    engine.open();

    assertThat(resultOf(second).get(0).queueNanos()).isEqualTo(7_000);
  }

  @Test
  void engineFailure_answersEveryWorkOfTheBatchAndKeepsServing() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(8), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 0f, "x"));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> a = batcher.submit(work(2, 1f, "a"));
    CompletableFuture<List<InferenceResult>> b = batcher.submit(work(1, 3f, "b"));

    engine.failWith = new IllegalStateException("device lost");
    engine.open();

    for (CompletableFuture<List<InferenceResult>> future : List.of(running, a, b)) {
      assertThat(failureOf(future)).isInstanceOf(EngineException.class).hasMessageContaining("device lost");
    }
    engine.failWith = null;
    engine.failWithChecked = new EngineException("out of memory");
    assertThat(failureOf(batcher.submit(work(1, 7f)))).isSameAs(engine.failWithChecked);
    engine.failWithChecked = null;
    assertThat(firstValues(resultOf(batcher.submit(work(2, 4f))))).containsExactly(4, 5);
    assertThat(listener.events).contains("batch 0 size 3 failed", "batch 0 size 2 ok");
  }

  @Test
  void engineFailure_takesTheRestOfAFailedWorkOutOfTheQueue() throws Exception {
    EchoEngine engine = engine(2);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(2), engine);
    engine.hold();
    CompletableFuture<List<InferenceResult>> failing = batcher.submit(work(5, 0f, "c"));
    engine.awaitEntered(); // images 0 and 1 are in the engine, 2..4 queued
    assertThat(batcher.queuedImages()).isEqualTo(3);

    engine.failWith = new IllegalStateException("device lost");
    engine.pass(1);
    assertThat(failureOf(failing)).hasMessageContaining("device lost");
    engine.failWith = null;
    engine.open();

    assertThat(firstValues(resultOf(batcher.submit(work(1, 9f))))).containsExactly(9);
    assertThat(engine.batches).containsExactly(floats(0, 1), floats(9)); // 2..4 never ran
    assertThat(batcher.queuedImages()).isZero();
  }

  @Test
  void priority_liveImagesGoAheadOfBulk() throws Exception {
    EchoEngine engine = engine(2);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(2), engine);
    engine.hold();
    batcher.submit(work(1, 0f, "x"));
    engine.awaitEntered();
    batcher.submit(work(2, 10f, Priority.BULK, "bulk", Long.MAX_VALUE, new AtomicBoolean()));
    CompletableFuture<List<InferenceResult>> live =
        batcher.submit(work(2, 20f, Priority.LIVE, "live", Long.MAX_VALUE, new AtomicBoolean()));

    engine.open();

    resultOf(live);
    batcher.close();
    assertThat(engine.batches).containsExactly(floats(0), floats(20, 21), floats(10, 11));
  }

  @Test
  void aging_aBulkImageThatWaitedLongerThanTheBoundRidesWithLiveImages() throws Exception {
    EchoEngine engine = engine(2);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(2).withAgingBoundNanos(50 * MS), engine);
    engine.hold();
    batcher.submit(work(1, 0f, "x"));
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> old =
        batcher.submit(work(1, 10f, Priority.BULK, "bulk", Long.MAX_VALUE, new AtomicBoolean()));
    time.advance(batcher, 50 * MS);
    batcher.submit(work(4, 20f, Priority.LIVE, "live", Long.MAX_VALUE, new AtomicBoolean()));

    engine.open();

    assertThat(resultOf(old).get(0).batchSize()).isEqualTo(2);
    batcher.close();
    assertThat(engine.batches.get(1)).containsExactlyInAnyOrder(10f, 20f); // not 20, 21: the aged image is live
  }

  @Test
  void fairness_aSourceFloodingTheQueueCannotKeepAnotherOutOfTheNextBatch() throws Exception {
    EchoEngine engine = engine(16);
    DynamicBatcher batcher = batcher(NO_DELAY, engine);
    engine.hold();
    batcher.submit(work(1, 0f, "x"));
    engine.awaitEntered();
    for (int i = 0; i < 10; i++) {
      batcher.submit(work(10, 1000 + 10 * i, "flood"));
    }
    CompletableFuture<List<InferenceResult>> quiet = batcher.submit(work(2, 1f, "quiet"));

    engine.open();

    assertThat(resultOf(quiet)).extracting(InferenceResult::batchSize).containsOnly(16);
    assertThat(engine.batches.get(1)).contains(1f, 2f).hasSize(16);
  }

  @Test
  void noBatching_maxBatchOneRunsEveryImageAlone() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = batcher(BatchingConfig.defaults().withMaxBatch(1), engine);

    List<InferenceResult> results = resultOf(batcher.submit(work(5, 0f)));

    assertThat(firstValues(results)).containsExactly(0, 1, 2, 3, 4);
    assertThat(engine.batches).extracting(List::size).containsExactly(1, 1, 1, 1, 1);
  }

  @Test
  void instances_eachRunsABatchAtTheSameTime() throws Exception {
    EchoEngine first = engine(1);
    EchoEngine second = engine(1);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(1), first, second);
    first.hold();
    second.hold();

    CompletableFuture<List<InferenceResult>> a = batcher.submit(work(1, 1f, "a"));
    CompletableFuture<List<InferenceResult>> b = batcher.submit(work(1, 2f, "b"));

    first.awaitEntered();
    second.awaitEntered(); // both held at once: two batches in flight
    first.open();
    second.open();
    assertThat(resultOf(a)).hasSize(1);
    assertThat(resultOf(b)).hasSize(1);
  }

  @Test
  void listener_hearsAdmissionsDequeuesAndBatches() throws Exception {
    DynamicBatcher batcher = batcher(NO_DELAY, engine(16));

    resultOf(batcher.submit(work(2, 0f, Priority.LIVE, "a", Long.MAX_VALUE, new AtomicBoolean())));
    batcher.close();

    assertThat(listener.events).containsExactly(
        "admitted LIVE 2", "dequeued LIVE 0", "dequeued LIVE 0", "batch 0 size 2 ok");
  }

  @Test
  void close_finishesQueuedAndRunningWorkWithoutWaitingForTheDelayThenClosesEngines() throws Exception {
    EchoEngine engine = engine(8);
    DynamicBatcher batcher = new DynamicBatcher(List.of(engine), IMAGE_SIZE,
        NO_DELAY.withMaxBatch(8).withMaxQueueDelayNanos(MS), listener, time, time);
    engine.hold();
    CompletableFuture<List<InferenceResult>> running = batcher.submit(work(1, 0f, "a"));
    assertThat(time.nextPlannedWake()).isEqualTo(T0 + MS);
    time.advance(batcher, MS);
    engine.awaitEntered();
    CompletableFuture<List<InferenceResult>> queued = batcher.submit(work(1, 1f, "b"));

    Thread closer = new Thread(batcher::close);
    closer.start();
    while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
      Thread.onSpinWait();
    }
    CompletableFuture<List<InferenceResult>> late = batcher.submit(work(1, 2f));
    assertThat(engine.closed).isFalse();
    engine.open();
    closer.join(10_000);

    assertThat(resultOf(running)).hasSize(1);
    assertThat(resultOf(queued)).hasSize(1); // the fake clock never reached its delay
    assertThat(reasonOf(late)).isEqualTo(Reason.SHUT_DOWN);
    assertThat(engine.closed).isTrue();
    assertThat(batcher.queuedImages()).isZero();
  }

  @Test
  void constructor_refusesNoEngines() {
    assertThatThrownBy(() -> new DynamicBatcher(List.of(), IMAGE_SIZE, NO_DELAY, listener, time))
        .hasMessageContaining("at least one engine");
  }

  /** Work whose images' release is counted. */
  private static InferenceWork counted(InferenceWork work, AtomicInteger releases) {
    return new InferenceWork(work.images(), work.deadlineNanos(), work.cancelled(), work.priority(), work.source(),
        releases::incrementAndGet);
  }

  private static void awaitReleases(AtomicInteger releases, int expected) throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (releases.get() < expected && System.nanoTime() < giveUp) {
      Thread.sleep(1);
    }
    Thread.sleep(20); // a second release would come right after the first
    assertThat(releases).hasValue(expected);
  }

  @Test
  void images_areReleasedOnce_afterTheirWorkIsAnswered() throws Exception {
    EchoEngine engine = engine(2);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(2), engine);
    AtomicInteger releases = new AtomicInteger();

    assertThat(resultOf(batcher.submit(counted(work(5, 0f), releases)))).hasSize(5); // three batches

    awaitReleases(releases, 1);
  }

  @Test
  void images_areReleasedOnce_whenTheWorkIsRefused() throws Exception {
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxQueuedImages(2), engine(16));
    AtomicInteger releases = new AtomicInteger();

    assertThat(reasonOf(batcher.submit(counted(work(3, 0f), releases)))).isEqualTo(Reason.QUEUE_FULL);

    awaitReleases(releases, 1);
  }

  @Test
  void images_areReleasedOnce_whenTheEngineFails() throws Exception {
    EchoEngine engine = engine(2);
    engine.failWith = new IllegalStateException("boom");
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(2), engine);
    AtomicInteger releases = new AtomicInteger();

    assertThat(failureOf(batcher.submit(counted(work(5, 0f), releases)))).hasMessageContaining("boom");

    awaitReleases(releases, 1);
  }

  @Test
  void images_areReleasedOnce_whenPartOfTheWorkExpiresWhileAnotherPartRuns() throws Exception {
    EchoEngine engine = engine(1);
    DynamicBatcher batcher = batcher(NO_DELAY.withMaxBatch(1), engine);
    engine.hold();
    AtomicInteger releases = new AtomicInteger();
    CompletableFuture<List<InferenceResult>> late =
        batcher.submit(counted(work(3, 0f, Priority.BULK, "a", T0 + 500, new AtomicBoolean()), releases));
    engine.awaitEntered(); // image 0 is in the engine, images 1 and 2 wait

    time.advance(batcher, 500);

    assertThat(reasonOf(late)).isEqualTo(Reason.DEADLINE_EXPIRED);
    engine.open();
    awaitReleases(releases, 1);
    assertThat(engine.batches).containsExactly(floats(0));
  }

  /** Records what the batcher reports, as short strings. */
  static final class RecordingListener implements SchedulerListener {
    final List<String> events = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void admitted(Priority priority, int images) {
      events.add("admitted " + priority + " " + images);
    }

    @Override
    public void dropped(Reason reason, int images) {
      events.add("dropped " + reason + " " + images);
    }

    @Override
    public void dequeued(Priority priority, long queueNanos) {
      events.add("dequeued " + priority + " " + queueNanos);
    }

    @Override
    public void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed) {
      events.add("batch " + instance + " size " + batchSize + (failed ? " failed" : " ok"));
    }

    @Override
    public void discarded(int images) {
      events.add("discarded " + images);
    }
  }
}
