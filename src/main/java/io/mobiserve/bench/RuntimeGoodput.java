package io.mobiserve.bench;

import io.mobiserve.runtime.RuntimeListener;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;

/** The goodput counts of a runtime in this JVM ({@code bench --in-process}), heard as its listener. */
public final class RuntimeGoodput implements RuntimeListener, GoodputSource {
  private final LongAdder inferred = new LongAdder();
  private final LongAdder discarded = new LongAdder();

  @Override
  public void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed) {
    if (!failed) {
      inferred.add(batchSize);
    }
  }

  @Override
  public void discarded(int images) {
    discarded.add(images);
  }

  @Override
  public Optional<Counts> read() {
    return Optional.of(new Counts(inferred.sum(), discarded.sum()));
  }
}
