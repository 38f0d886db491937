package io.mobiserve.runtime;

import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;

/**
 * Runs postprocessing on the thread that finished the batch when no work waits for an engine, and on a
 * pool otherwise. An engine's worker with nothing queued would only go to sleep, so running the top-k and
 * the answer there saves a thread wake-up on every lone request; under load the pool takes it, so that the
 * engine starts its next batch at once.
 */
final class InlineWhenIdle implements Executor {
  private final Executor pool;
  private final BooleanSupplier idle;

  /**
   * @param pool where tasks run while work is queued; it must never reject
   * @param idle whether no work waits for an engine now
   */
  InlineWhenIdle(Executor pool, BooleanSupplier idle) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.idle = Objects.requireNonNull(idle, "idle");
  }

  @Override
  public void execute(Runnable task) {
    if (idle.getAsBoolean()) {
      task.run();
    } else {
      pool.execute(task);
    }
  }
}
