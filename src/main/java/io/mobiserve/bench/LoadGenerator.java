package io.mobiserve.bench;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Sends one step's load until told to stop. */
public interface LoadGenerator {

  /**
   * Starts sending at {@code startNanos} on the generator's own threads, recording every outcome, until
   * {@code running} turns false.
   */
  void start(StepRecorder recorder, BooleanSupplier running, long startNanos);

  /**
   * Waits, at most {@code limit}, for the requests in flight to be answered after {@code running} turned
   * false.
   *
   * @return whether everything was answered
   */
  boolean awaitDrained(Duration limit) throws InterruptedException;
}
