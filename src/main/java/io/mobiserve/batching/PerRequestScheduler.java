package io.mobiserve.batching;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A first-in, first-out scheduler that runs each piece of work as its own engine batch (split into
 * chunks of at most the engine's max batch): no merging across callers. One worker thread drives each
 * engine instance, so an instance never runs two batches at once.
 *
 * <p>Admission is bounded by queued images: over the bound, {@link #submit} fails at once with {@link
 * SchedulingException.Reason#QUEUE_FULL}. Work whose caller has gone or whose deadline has passed is
 * answered when a worker reaches it, without running it.
 */
public final class PerRequestScheduler implements InferenceScheduler {
  private static final Logger log = LoggerFactory.getLogger(PerRequestScheduler.class);

  private final List<InferenceEngine> engines;
  private final int maxQueuedImages;
  private final LongSupplier nanoClock;
  private final List<Thread> workers = new ArrayList<>();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition workAvailable = lock.newCondition();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private int queuedImages;
  private boolean closed;

  private record Pending(InferenceWork work, CompletableFuture<List<InferenceResult>> future, long submittedNanos) {}

  /**
   * @param engines the engine instances; this scheduler owns them and closes them in {@link #close()}
   * @param maxQueuedImages the most images waiting at once
   * @param nanoClock the time source ({@link System#nanoTime} outside tests)
   */
  public PerRequestScheduler(List<InferenceEngine> engines, int maxQueuedImages, LongSupplier nanoClock) {
    if (engines.isEmpty()) {
      throw new IllegalArgumentException("at least one engine instance is needed");
    }
    if (maxQueuedImages < 1) {
      throw new IllegalArgumentException("max queued images must be positive, not " + maxQueuedImages);
    }
    this.engines = List.copyOf(engines);
    this.maxQueuedImages = maxQueuedImages;
    this.nanoClock = nanoClock;
    for (int i = 0; i < this.engines.size(); i++) {
      InferenceEngine engine = this.engines.get(i);
      Thread worker = new Thread(() -> drive(engine), "engine-" + i);
      worker.setDaemon(true);
      workers.add(worker);
      worker.start();
    }
  }

  @Override
  public CompletableFuture<List<InferenceResult>> submit(InferenceWork work) {
    CompletableFuture<List<InferenceResult>> future = new CompletableFuture<>();
    lock.lock();
    try {
      if (closed) {
        future.completeExceptionally(
            new SchedulingException(SchedulingException.Reason.SHUT_DOWN, "the server is shutting down"));
        return future;
      }
      if (queuedImages + work.images() > maxQueuedImages) {
        future.completeExceptionally(new SchedulingException(SchedulingException.Reason.QUEUE_FULL,
            "the inference queue is full (" + queuedImages + " of " + maxQueuedImages
                + " images queued); retry later"));
        return future;
      }
      queue.addLast(new Pending(work, future, nanoClock.getAsLong()));
      queuedImages += work.images();
      workAvailable.signal();
    } finally {
      lock.unlock();
    }
    return future;
  }

  @Override
  public int queuedImages() {
    lock.lock();
    try {
      return queuedImages;
    } finally {
      lock.unlock();
    }
  }

  private void drive(InferenceEngine engine) {
    while (true) {
      Pending next;
      lock.lock();
      try {
        while (queue.isEmpty() && !closed) {
          workAvailable.awaitUninterruptibly();
        }
        if (queue.isEmpty()) {
          return;
        }
        next = queue.removeFirst();
        queuedImages -= next.work().images();
      } finally {
        lock.unlock();
      }
      run(engine, next);
    }
  }

  private void run(InferenceEngine engine, Pending pending) {
    InferenceWork work = pending.work();
    long startNanos = nanoClock.getAsLong();
    if (work.cancelled().getAsBoolean()) {
      pending.future().completeExceptionally(
          new SchedulingException(SchedulingException.Reason.CANCELLED, "the call was cancelled"));
      return;
    }
    if (startNanos - work.deadlineNanos() >= 0) {
      pending.future().completeExceptionally(new SchedulingException(SchedulingException.Reason.DEADLINE_EXPIRED,
          "the deadline passed after " + TimeUnit.NANOSECONDS.toMicros(startNanos - pending.submittedNanos())
              + " µs in the queue"));
      return;
    }
    try {
      pending.future().complete(infer(engine, work, pending.submittedNanos()));
    } catch (EngineException e) {
      log.error("inference failed on {}: {}", engine.info().backend(), e.getMessage(), e);
      pending.future().completeExceptionally(e);
    } catch (RuntimeException e) {
      log.error("inference failed on {}", engine.info().backend(), e);
      pending.future().completeExceptionally(new EngineException("inference failed: " + e, e));
    }
  }

  private List<InferenceResult> infer(InferenceEngine engine, InferenceWork work, long submittedNanos)
      throws EngineException {
    int imageSize = work.imageSize();
    int maxBatch = engine.info().maxBatch();
    List<InferenceResult> results = new ArrayList<>(work.images());
    FloatBuffer input = work.input();
    int base = input.position();
    for (int first = 0; first < work.images(); first += maxBatch) {
      int count = Math.min(maxBatch, work.images() - first);
      FloatBuffer chunk = input.duplicate()
          .position(base + first * imageSize)
          .limit(base + (first + count) * imageSize)
          .slice();
      long batchStart = nanoClock.getAsLong();
      Logits logits = engine.infer(chunk, count);
      long inferenceNanos = nanoClock.getAsLong() - batchStart;
      for (int i = 0; i < count; i++) {
        results.add(new InferenceResult(logits.row(i), batchStart - submittedNanos, inferenceNanos, count));
      }
    }
    return results;
  }

  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      workAvailable.signalAll();
    } finally {
      lock.unlock();
    }
    for (Thread worker : workers) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (InferenceEngine engine : engines) {
      engine.close();
    }
  }
}
