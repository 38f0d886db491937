package io.mobiserve.runtime;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Counts the images a CPU fallback answered during a {@code bench --in-process} run, and the first
 * reason, so that the report never passes CPU figures off as the GPU's.
 */
public final class FailoverTally implements EngineHealthListener {
  private final AtomicLong images = new AtomicLong();
  private final AtomicLong degradations = new AtomicLong();
  private final AtomicReference<String> firstReason = new AtomicReference<>();

  private FailoverTally() {}

  public static FailoverTally watching(EngineHealth health) {
    FailoverTally tally = new FailoverTally();
    health.watch(tally);
    return tally;
  }

  @Override
  public void degraded(String reason) {
    degradations.incrementAndGet();
    firstReason.compareAndSet(null, reason);
  }

  @Override
  public void recovered() {}

  @Override
  public void failedOver(int batchImages) {
    images.addAndGet(batchImages);
  }

  /** A line for the report when anything failed over, else empty. */
  public Optional<String> summary() {
    if (degradations.get() == 0 && images.get() == 0) {
      return Optional.empty();
    }
    return Optional.of("note: the GPU engine failed during the run (" + firstReason.get() + "): "
        + images.get() + " images ran on the CPU fallback, so these figures mix GPU and CPU");
  }
}
