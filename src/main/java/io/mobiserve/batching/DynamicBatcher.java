package io.mobiserve.batching;

import io.mobiserve.batching.BatchPolicy.Decision;
import io.mobiserve.batching.BatchPolicy.QueueState;
import io.mobiserve.engine.InferenceEngine;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The dynamic batcher: merges images from many callers into engine batches, bounded in size and in
 * waiting time. The unit is the image: a work larger than max batch is split across batches (its tail
 * may share a batch with other callers' images) and its results are reassembled in order. With max batch
 * 1 it runs each image alone — "no batching" is this same code path.
 *
 * <p>Threads: a batch is formed by whichever thread finds an engine instance free and the policy saying
 * send: the submitting thread when work arrives at an idle instance, or the instance's own worker thread
 * when its batch ends and work is queued (so that under load the queue fills while instances are busy and
 * batches leave full, and no thread is woken only to pass a batch on). One timer thread wakes at the end of
 * a max queue delay and at the earliest queued deadline, so that a delayed batch leaves and expiry is
 * answered on time. One worker thread per engine instance runs its batches one at a time. {@link #submit},
 * {@link #queuedImages} and {@link #close} are safe from any thread; {@code submit} never blocks beyond a
 * short lock (it may answer other callers' expired work, outside the lock).
 *
 * <p>Ownership: once {@code submit} returns a future, the batcher owns the work and completes the future
 * exactly once; it reads the work's images until it runs the work's {@link InferenceWork#releaseImages()},
 * exactly once, after the future completed and no batch copies from them any more. Each image is copied
 * once, into the engine instance's own input memory. It owns the engines and closes them in {@link #close}.
 *
 * <p>Admission: a work is admitted whole or refused whole ({@link SchedulingException.Reason#QUEUE_FULL}
 * at once when it would take the queue over {@link BatchingConfig#maxQueuedImages()}). Cancelled and
 * expired work leaves the queue before reaching an engine and takes no batch slot; its images already in a
 * running batch are discarded when they return. Batches take {@link Priority#LIVE} images first (bulk
 * images older than the aging bound count as live), round-robin across sources within a level.
 *
 * <p>Each {@link InferenceResult} carries its own queue time (submission to the start of its batch), and
 * its batch's duration (copying the images in and running the engine) and size.
 */
public final class DynamicBatcher implements InferenceScheduler {
  private final List<InferenceEngine> engines;
  private final int imageSize;
  private final BatchingConfig config;
  private final BatchPolicy policy;
  private final SchedulerListener listener;
  private final LongSupplier clock;
  private final Waiter waiter;
  private final ServiceTime serviceTime = new ServiceTime();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition batcherWake = lock.newCondition();
  private final WorkQueue queue = new WorkQueue();
  private final ArrayDeque<Instance> freeInstances = new ArrayDeque<>();
  private final List<Instance> instances = new ArrayList<>();
  private final Thread batcherThread;
  private final AtomicBoolean enginesClosed = new AtomicBoolean();
  /** When the waiting batcher thread will look again by itself (NO_DEADLINE: only when signalled). */
  private long plannedWakeNanos = QueueState.NO_DEADLINE;
  private boolean closed;
  private boolean stopping;

  /** An engine instance, its worker thread and the batch handed to it. Fields guarded by {@link #lock}. */
  private final class Instance {
    final BatchRunner runner;
    final Condition assigned = lock.newCondition();
    final Thread thread;
    List<BatchSlot> batch;

    Instance(int index, InferenceEngine engine) {
      this.runner = new BatchRunner(index, engine, imageSize, clock, listener, serviceTime);
      this.thread = new Thread(this::drive, "batcher-engine-" + index);
      this.thread.setDaemon(true);
    }

    private void drive() {
      while (true) {
        List<BatchSlot> next;
        lock.lock();
        try {
          while (batch == null && !stopping) {
            assigned.awaitUninterruptibly();
          }
          if (batch == null) {
            return;
          }
          next = batch;
          batch = null;
        } finally {
          lock.unlock();
        }
        List<AdmittedWork> failed = runner.run(next);
        List<WorkQueue.Drop> drops = new ArrayList<>();
        lock.lock();
        try {
          failed.forEach(queue::remove);
          freeInstances.addFirst(this); // last used first: its memory is warm, and it takes the next batch itself
          planWake(dispatch(clock.getAsLong(), drops));
          if (closed) {
            batcherWake.signal(); // the drain may be over
          }
        } finally {
          lock.unlock();
        }
        answerDrops(drops);
      }
    }
  }

  /**
   * Starts the batcher and one worker per engine.
   *
   * @param engines the engine instances; the batcher owns them and closes them in {@link #close()}
   * @param imageSize the number of floats of one image (C × H × W); every work must match it
   * @param config batching limits; every engine must have been created for batches of its max batch
   * @param listener told about admissions, drops, dequeues and batches
   * @param nanoClock the time source ({@link System#nanoTime} outside tests)
   */
  public DynamicBatcher(List<InferenceEngine> engines, int imageSize, BatchingConfig config,
      SchedulerListener listener, LongSupplier nanoClock) {
    this(engines, imageSize, config, listener, nanoClock, Waiter.SYSTEM);
  }

  DynamicBatcher(List<InferenceEngine> engines, int imageSize, BatchingConfig config, SchedulerListener listener,
      LongSupplier nanoClock, Waiter waiter) {
    if (engines.isEmpty()) {
      throw new IllegalArgumentException("at least one engine instance is needed");
    }
    if (imageSize < 1) {
      throw new IllegalArgumentException("image size must be at least 1 float, not " + imageSize);
    }
    this.engines = List.copyOf(engines);
    this.imageSize = imageSize;
    this.config = config;
    this.policy = new BatchPolicy(config);
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.waiter = waiter;
    for (int i = 0; i < this.engines.size(); i++) {
      Instance instance = new Instance(i, this.engines.get(i));
      instances.add(instance);
      freeInstances.addLast(instance);
    }
    this.batcherThread = new Thread(this::runBatcher, "batcher");
    batcherThread.setDaemon(true);
    batcherThread.start();
    instances.forEach(instance -> instance.thread.start());
  }

  public BatchingConfig config() {
    return config;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the work's images are not {@code imageSize} floats each
   */
  @Override
  public CompletableFuture<List<InferenceResult>> submit(InferenceWork work) {
    for (int i = 0; i < work.imageCount(); i++) {
      int floats = work.images().get(i).remaining();
      if (floats != imageSize) {
        throw new IllegalArgumentException("image " + i + " of " + floats + " floats does not fit a model input of "
            + imageSize + " floats");
      }
    }
    long now = clock.getAsLong();
    AdmittedWork admitted = new AdmittedWork(work, now);
    SchedulingException refusal = checkStillWanted(work, now);
    List<WorkQueue.Drop> drops = new ArrayList<>();
    if (refusal == null) {
      lock.lock();
      try {
        refusal = admit(admitted);
        if (refusal == null) {
          // With an instance free the batch may be complete now: form it here rather than wake a thread to.
          // With none, only an earlier deadline matters until an instance frees.
          planWake(freeInstances.isEmpty() ? work.deadlineNanos() : dispatch(now, drops));
        }
      } finally {
        lock.unlock();
      }
    }
    answerDrops(drops);
    if (refusal != null) {
      SchedulingException reason = refusal;
      admitted.fail(refusal, () -> listener.dropped(reason.reason(), work.imageCount()));
    }
    return admitted.future;
  }

  /** Under the lock: queues the whole work or says why not. */
  private SchedulingException admit(AdmittedWork admitted) {
    if (closed) {
      return new SchedulingException(SchedulingException.Reason.SHUT_DOWN, "the server is shutting down");
    }
    int images = admitted.work.imageCount();
    if (images > config.maxQueuedImages()) {
      return new SchedulingException(SchedulingException.Reason.QUEUE_FULL, images
          + " images exceed the inference queue's " + config.maxQueuedImages() + " images; send fewer at once");
    }
    if (queue.images() + images > config.maxQueuedImages()) {
      return new SchedulingException(SchedulingException.Reason.QUEUE_FULL, "the inference queue is full ("
          + queue.images() + " of " + config.maxQueuedImages() + " images queued); retry later");
    }
    queue.add(admitted);
    // Under the lock, so that "admitted" is reported before any of its images can be dequeued.
    listener.admitted(admitted.work.priority(), images);
    return null;
  }

  private static SchedulingException checkStillWanted(InferenceWork work, long now) {
    if (work.cancelled().getAsBoolean()) {
      return new SchedulingException(SchedulingException.Reason.CANCELLED, "the call was cancelled");
    }
    if (work.deadlineNanos() != Long.MAX_VALUE && now - work.deadlineNanos() >= 0) {
      return new SchedulingException(SchedulingException.Reason.DEADLINE_EXPIRED,
          "the deadline had passed before the work was queued");
    }
    return null;
  }

  @Override
  public int queuedImages() {
    lock.lock();
    try {
      return queue.images();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long estimatedNanos(int images) {
    int queued;
    int busy;
    lock.lock();
    try {
      queued = queue.images();
      busy = instances.size() - freeInstances.size();
    } finally {
      lock.unlock();
    }
    // The queue drains across every instance; a new image also waits for a running batch to end, and runs
    // in a batch of its own at the end.
    double drain = (queued + images) * serviceTime.nanosPerImage() / instances.size();
    long running = busy == instances.size() ? serviceTime.batchNanos() : 0;
    return (long) drain + running + serviceTime.batchNanos();
  }

  @Override
  public long idleNanos(int images) {
    // Spread over every instance at the measured per-image speed: optimistic, as a lower bound must be.
    return (long) (images * serviceTime.nanosPerImage() / instances.size());
  }

  /** The timer thread: sends delayed batches when their delay ends, answers expiry, drains at close. */
  private void runBatcher() {
    List<WorkQueue.Drop> drops = new ArrayList<>();
    boolean running = true;
    while (running) {
      lock.lock();
      try {
        running = step(drops);
      } finally {
        lock.unlock();
      }
      answerDrops(drops);
      drops.clear();
    }
  }

  /** Under the lock: dispatches what is due, then waits until the next thing is. False once closed and drained. */
  private boolean step(List<WorkQueue.Drop> drops) {
    if (closed && queue.images() == 0) {
      stopping = true;
      instances.forEach(instance -> instance.assigned.signal());
      return false;
    }
    long now = clock.getAsLong();
    long wake = dispatch(now, drops);
    if (drops.isEmpty()) { // else answer them first (outside the lock), then look again
      waitUntil(wake, now);
    }
    return true;
  }

  /**
   * Under the lock: takes out unwanted work into {@code drops} (work whose deadline comes before a batch
   * could finish is dropped now rather than computed in vain), then hands batches to free instances while
   * the policy says send. Returns when the queue next needs a look by itself ({@link QueueState#NO_DEADLINE}:
   * only when work arrives or an instance frees).
   */
  private long dispatch(long now, List<WorkQueue.Drop> drops) {
    while (true) {
      QueueState state = queue.sweep(now, serviceTime.batchNanos(), config.agingBoundNanos(), drops);
      if (freeInstances.isEmpty()) {
        return state.earliestDeadlineNanos(); // no batch can leave before an instance frees
      }
      // Closing: nothing more will arrive, so waiting for a batch to fill would only delay the drain.
      Decision decision = !closed ? policy.decide(state, now)
          : state.images() == 0 ? new Decision.Idle()
          : new Decision.SendNow(Math.min(state.images(), config.maxBatch()));
      if (decision instanceof Decision.SendNow send) {
        List<BatchSlot> batch = new ArrayList<>(send.images());
        queue.take(send.images(), batch);
        keepReadable(batch);
        if (!batch.isEmpty()) {
          Instance instance = freeInstances.pollFirst();
          instance.batch = batch;
          instance.assigned.signal();
        }
      } else if (decision instanceof Decision.WaitUntil wait) {
        return wait.nanos();
      } else {
        return QueueState.NO_DEADLINE;
      }
    }
  }

  /** Under the lock, on a thread other than the timer: wakes the timer if it must look before it planned to. */
  private void planWake(long wakeNanos) {
    if (wakeNanos != QueueState.NO_DEADLINE
        && (plannedWakeNanos == QueueState.NO_DEADLINE || wakeNanos - plannedWakeNanos < 0)) {
      batcherWake.signal();
    }
  }

  /** Outside the lock: completing a future runs its callers' continuations. */
  private void answerDrops(List<WorkQueue.Drop> drops) {
    for (WorkQueue.Drop drop : drops) {
      drop.work().fail(dropException(drop), () -> listener.dropped(drop.reason(), drop.images()));
    }
  }

  /**
   * Retains each work of the batch for the batch's copy of its images, and leaves out the images of works
   * whose memory is already gone (finished since the sweep: their answers would be discarded anyway).
   */
  private static void keepReadable(List<BatchSlot> batch) {
    Map<AdmittedWork, Boolean> readable = new IdentityHashMap<>();
    batch.removeIf(slot -> !readable.computeIfAbsent(slot.work(), AdmittedWork::retain));
  }

  private void waitUntil(long wakeNanos, long now) {
    plannedWakeNanos = wakeNanos;
    if (wakeNanos == QueueState.NO_DEADLINE) {
      batcherWake.awaitUninterruptibly();
    } else if (wakeNanos - now > 0) {
      waiter.await(batcherWake, wakeNanos - now);
    }
  }

  private SchedulingException dropException(WorkQueue.Drop drop) {
    if (drop.reason() == SchedulingException.Reason.CANCELLED) {
      return new SchedulingException(drop.reason(), "the call was cancelled");
    }
    long now = clock.getAsLong();
    long waited = now - drop.work().submittedNanos;
    long left = drop.work().work.deadlineNanos() - now;
    return new SchedulingException(drop.reason(), left > 0
        ? "the deadline would pass before a batch could finish (" + TimeUnit.NANOSECONDS.toMicros(left)
            + " µs left, a batch takes about " + TimeUnit.NANOSECONDS.toMicros(serviceTime.batchNanos())
            + " µs) after " + TimeUnit.NANOSECONDS.toMicros(waited) + " µs in the queue"
        : "the deadline passed after " + TimeUnit.NANOSECONDS.toMicros(waited) + " µs in the queue");
  }

  /** Wakes the batcher thread so that it reads the clock again: for tests that move a fake clock. */
  void wakeBatcher() {
    lock.lock();
    try {
      batcherWake.signal();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops admitting work ({@link SchedulingException.Reason#SHUT_DOWN}), sends what is queued without
   * waiting for batches to fill, waits for running batches, then closes the engines. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      batcherWake.signal();
    } finally {
      lock.unlock();
    }
    boolean interrupted = false;
    List<Thread> threads = new ArrayList<>();
    threads.add(batcherThread);
    instances.forEach(instance -> threads.add(instance.thread));
    for (Thread thread : threads) {
      while (thread.isAlive()) {
        try {
          thread.join();
        } catch (InterruptedException e) {
          interrupted = true; // finish the drain: the engines must not close under a running batch
        }
      }
    }
    if (enginesClosed.compareAndSet(false, true)) {
      engines.forEach(InferenceEngine::close);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
