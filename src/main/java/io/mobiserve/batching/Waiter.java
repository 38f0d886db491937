package io.mobiserve.batching;

import java.util.concurrent.locks.Condition;

/**
 * How the batcher thread waits for a time: a seam so that tests drive a fake clock instead of sleeping.
 */
@FunctionalInterface
interface Waiter {

  /**
   * Waits on {@code condition}, whose lock the caller holds, until signalled or for at most {@code nanos};
   * may return early (the caller looks again).
   */
  void await(Condition condition, long nanos);

  /** Real time. */
  Waiter SYSTEM = (condition, nanos) -> {
    try {
      condition.awaitNanos(nanos);
    } catch (InterruptedException e) {
      // Only the batcher's own thread waits here and nobody interrupts it on purpose: treat it as a
      // spurious wake-up (the caller re-evaluates), rather than leave the flag set and spin.
    }
  };
}
