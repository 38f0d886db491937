package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PerRequestSchedulerTest {
  private static final int IMAGE_SIZE = 3;

  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final List<PerRequestScheduler> schedulers = new ArrayList<>();

  @AfterEach
  void closeSchedulers() {
    schedulers.forEach(PerRequestScheduler::close);
  }

  /**
   * An engine whose logits for an image are {first value of the image, batch size}, so a test can tell
   * which input each result came from. It can be held at a gate and made to fail.
   */
  static final class EchoEngine implements InferenceEngine {
    final int maxBatch;
    final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch gate = new CountDownLatch(0);
    volatile RuntimeException failWith;
    volatile boolean closed;

    EchoEngine(int maxBatch) {
      this.maxBatch = maxBatch;
    }

    @Override
    public Logits infer(FloatBuffer input, int batchSize) throws EngineException {
      entered.countDown();
      try {
        gate.await();
      } catch (InterruptedException e) {
        throw new EngineException("interrupted", e);
      }
      batchSizes.add(batchSize);
      if (failWith != null) {
        throw failWith;
      }
      assertThat(input.remaining()).isEqualTo(batchSize * IMAGE_SIZE);
      float[] logits = new float[batchSize * 2];
      for (int i = 0; i < batchSize; i++) {
        logits[2 * i] = input.get(input.position() + i * IMAGE_SIZE);
        logits[2 * i + 1] = batchSize;
      }
      return new Logits(logits, batchSize, 2);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo("echo", "fp32", maxBatch);
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private PerRequestScheduler scheduler(EchoEngine engine, int maxQueued) {
    PerRequestScheduler scheduler = new PerRequestScheduler(List.of(engine), maxQueued, clock::get);
    schedulers.add(scheduler);
    return scheduler;
  }

  /** Work of {@code images} images whose first values are first, first + 1, ... */
  private static InferenceWork work(int images, float first, long deadline, AtomicBoolean cancelled) {
    FloatBuffer input = ByteBuffer.allocateDirect(images * IMAGE_SIZE * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < images; i++) {
      input.put(i * IMAGE_SIZE, first + i);
    }
    return new InferenceWork(input, images, deadline, cancelled::get, Priority.BULK, "test");
  }

  private static InferenceWork work(int images, float first) {
    return work(images, first, Long.MAX_VALUE, new AtomicBoolean());
  }

  private static Throwable failureOf(CompletableFuture<?> future) throws InterruptedException {
    try {
      future.get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected the future to fail");
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("the future was never completed", e);
    }
  }

  @Test
  void submit_answersEachImageWithItsOwnLogitsInOrder() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    PerRequestScheduler scheduler = scheduler(engine, 100);

    List<InferenceResult> results = scheduler.submit(work(3, 10f)).get(10, TimeUnit.SECONDS);

    assertThat(results).extracting(r -> r.logits()[0]).containsExactly(10f, 11f, 12f);
    assertThat(results).extracting(InferenceResult::batchSize).containsOnly(3);
  }

  @Test
  void submit_splitsWorkLargerThanTheEngineBatchAndKeepsOrder() throws Exception {
    EchoEngine engine = new EchoEngine(4);
    PerRequestScheduler scheduler = scheduler(engine, 100);

    List<InferenceResult> results = scheduler.submit(work(10, 0f)).get(10, TimeUnit.SECONDS);

    assertThat(results).extracting(r -> (int) r.logits()[0]).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(engine.batchSizes).containsExactly(4, 4, 2);
    assertThat(results).extracting(InferenceResult::batchSize).containsExactly(4, 4, 4, 4, 4, 4, 4, 4, 2, 2);
  }

  @Test
  void submit_rejectsAtOnceWhenTheQueueIsFull() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    engine.gate = new CountDownLatch(1);
    PerRequestScheduler scheduler = scheduler(engine, 5);
    CompletableFuture<List<InferenceResult>> running = scheduler.submit(work(1, 0f));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<List<InferenceResult>> queued = scheduler.submit(work(4, 1f));

    CompletableFuture<List<InferenceResult>> rejected = scheduler.submit(work(2, 5f));

    assertThat(rejected).isCompletedExceptionally();
    assertThat(((SchedulingException) failureOf(rejected)).reason()).isEqualTo(SchedulingException.Reason.QUEUE_FULL);
    assertThat(scheduler.queuedImages()).isEqualTo(4);
    engine.gate.countDown();
    assertThat(running.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(queued.get(10, TimeUnit.SECONDS)).hasSize(4);
  }

  @Test
  void submit_answersCancelledWorkWithoutRunningIt() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    engine.gate = new CountDownLatch(1);
    PerRequestScheduler scheduler = scheduler(engine, 100);
    CompletableFuture<List<InferenceResult>> first = scheduler.submit(work(1, 0f));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();
    AtomicBoolean cancelled = new AtomicBoolean();
    CompletableFuture<List<InferenceResult>> second = scheduler.submit(work(2, 1f, Long.MAX_VALUE, cancelled));

    cancelled.set(true);
    engine.gate.countDown();

    assertThat(((SchedulingException) failureOf(second)).reason()).isEqualTo(SchedulingException.Reason.CANCELLED);
    assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(engine.batchSizes).containsExactly(1);
    assertThat(scheduler.queuedImages()).isZero();
  }

  @Test
  void submit_answersExpiredWorkWithoutRunningIt() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    engine.gate = new CountDownLatch(1);
    PerRequestScheduler scheduler = scheduler(engine, 100);
    CompletableFuture<List<InferenceResult>> first = scheduler.submit(work(1, 0f));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<List<InferenceResult>> late =
        scheduler.submit(work(2, 1f, clock.get() + 500, new AtomicBoolean()));

    clock.addAndGet(1_000);
    engine.gate.countDown();

    assertThat(((SchedulingException) failureOf(late)).reason())
        .isEqualTo(SchedulingException.Reason.DEADLINE_EXPIRED);
    assertThat(first.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(engine.batchSizes).containsExactly(1);
  }

  @Test
  void submit_reportsQueueTimeFromTheClock() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    engine.gate = new CountDownLatch(1);
    PerRequestScheduler scheduler = scheduler(engine, 100);
    scheduler.submit(work(1, 0f));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<List<InferenceResult>> second = scheduler.submit(work(1, 1f));

    clock.addAndGet(7_000);
    engine.gate.countDown();

    assertThat(second.get(10, TimeUnit.SECONDS).get(0).queueNanos()).isEqualTo(7_000);
  }

  @Test
  void submit_failsEveryImageOfAFailedBatchAndKeepsServing() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    PerRequestScheduler scheduler = scheduler(engine, 100);
    engine.failWith = new IllegalStateException("device lost");

    Throwable failure = failureOf(scheduler.submit(work(3, 0f)));

    assertThat(failure).isInstanceOf(EngineException.class).hasMessageContaining("device lost");
    engine.failWith = null;
    assertThat(scheduler.submit(work(2, 4f)).get(10, TimeUnit.SECONDS))
        .extracting(r -> r.logits()[0]).containsExactly(4f, 5f);
  }

  @Test
  void close_finishesQueuedWorkRejectsNewWorkAndClosesEngines() throws Exception {
    EchoEngine engine = new EchoEngine(8);
    engine.gate = new CountDownLatch(1);
    PerRequestScheduler scheduler = new PerRequestScheduler(List.of(engine), 100, clock::get);
    CompletableFuture<List<InferenceResult>> running = scheduler.submit(work(1, 0f));
    CompletableFuture<List<InferenceResult>> queued = scheduler.submit(work(1, 1f));
    assertThat(engine.entered.await(10, TimeUnit.SECONDS)).isTrue();

    Thread closer = new Thread(scheduler::close);
    closer.start();
    while (closer.getState() != Thread.State.WAITING && closer.isAlive()) {
      Thread.onSpinWait();
    }
    CompletableFuture<List<InferenceResult>> late = scheduler.submit(work(1, 2f));
    engine.gate.countDown();
    closer.join(10_000);

    assertThat(running.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(queued.get(10, TimeUnit.SECONDS)).hasSize(1);
    assertThat(((SchedulingException) failureOf(late)).reason()).isEqualTo(SchedulingException.Reason.SHUT_DOWN);
    assertThat(engine.closed).isTrue();
  }

  @Test
  void constructor_refusesNoEnginesAndNonPositiveQueue() {
    assertThatThrownBy(() -> new PerRequestScheduler(List.of(), 10, clock::get))
        .hasMessageContaining("at least one engine");
    assertThatThrownBy(() -> new PerRequestScheduler(List.of(new EchoEngine(1)), 0, clock::get))
        .hasMessageContaining("max queued images must be positive, not 0");
  }
}
