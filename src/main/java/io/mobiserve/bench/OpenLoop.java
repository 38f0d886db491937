package io.mobiserve.bench;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Requests sent on a schedule, whether or not earlier ones were answered. Each latency counts from the
 * request's intended send time, so a server that falls behind is charged for the wait (no coordinated
 * omission). At most {@code maxInFlight} requests are outstanding; a send held back by that cap, or by a
 * slow sender thread, is a late send, counted.
 */
final class OpenLoop implements LoadGenerator {
  private final LoadTarget target;
  private final ArrivalSchedule schedule;
  private final int maxInFlight;
  private final AtomicLong sequence;
  private final Semaphore inFlight;
  private Thread sender;

  OpenLoop(LoadTarget target, ArrivalSchedule schedule, int maxInFlight, AtomicLong sequence) {
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("max in flight must be at least 1, not " + maxInFlight);
    }
    this.target = target;
    this.schedule = schedule;
    this.maxInFlight = maxInFlight;
    this.sequence = sequence;
    this.inFlight = new Semaphore(maxInFlight);
  }

  @Override
  public void start(StepRecorder recorder, BooleanSupplier running, long startNanos) {
    sender = new Thread(() -> {
      long intended = startNanos;
      while (running.getAsBoolean()) {
        intended += schedule.nextIntervalNanos();
        if (!sleepUntil(intended, running) || !acquire(running)) {
          return;
        }
        recorder.lateSend(System.nanoTime() - intended);
        long sendAt = intended;
        target.send(sequence.getAndIncrement()).whenComplete((outcome, failure) -> {
          inFlight.release();
          recorder.record(outcome != null ? outcome : Outcome.failure("CLIENT_ERROR", String.valueOf(failure)), sendAt);
        });
      }
    }, "bench-open-loop");
    sender.setDaemon(true);
    sender.start();
  }

  /** Sleeps until {@code nanos}; false when the step ended meanwhile. */
  static boolean sleepUntil(long nanos, BooleanSupplier running) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      if (!running.getAsBoolean()) {
        return false;
      }
      LockSupport.parkNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
    }
    return running.getAsBoolean();
  }

  private boolean acquire(BooleanSupplier running) {
    try {
      while (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS)) {
        if (!running.getAsBoolean()) {
          return false;
        }
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public boolean awaitDrained(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    sender.join(Math.max(1, limit.toMillis()));
    long left = Math.max(0, deadline - System.nanoTime());
    if (inFlight.tryAcquire(maxInFlight, left, TimeUnit.NANOSECONDS)) {
      inFlight.release(maxInFlight);
      return true;
    }
    return false;
  }
}
