package io.mobiserve.batching;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.function.LongSupplier;

/**
 * A clock that moves only when a test says so, and a waiter that records when the batcher planned to wake
 * and then waits for a signal (no real time passes).
 */
final class ManualTime implements LongSupplier, Waiter {
  private final AtomicLong now;
  private final LinkedBlockingQueue<Long> plannedWakes = new LinkedBlockingQueue<>();

  ManualTime(long start) {
    this.now = new AtomicLong(start);
  }

  @Override
  public long getAsLong() {
    return now.get();
  }

  @Override
  public void await(Condition condition, long nanos) {
    plannedWakes.add(now.get() + nanos);
    condition.awaitUninterruptibly();
  }

  /** Moves the clock and makes the batcher look at it. */
  void advance(DynamicBatcher batcher, long nanos) {
    now.addAndGet(nanos);
    batcher.wakeBatcher();
  }

  /** The instant of the batcher's next timed wait, once it has decided to wait. */
  long nextPlannedWake() throws InterruptedException {
    Long wake = plannedWakes.poll(10, TimeUnit.SECONDS);
    if (wake == null) {
      throw new AssertionError("the batcher never planned a timed wait");
    }
    return wake;
  }
}
