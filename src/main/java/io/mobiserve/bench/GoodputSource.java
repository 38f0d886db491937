package io.mobiserve.bench;

import java.util.Optional;

/**
 * Where a bench reads the server's goodput from: how many images it inferred and how many of them were
 * discarded because their caller's deadline had passed or the caller had gone. Read before and after each
 * step; the difference is the step's goodput.
 */
public interface GoodputSource {

  /** The counts since the server started, or empty when they cannot be read now. */
  Optional<Counts> read();

  /**
   * @param inferred images inferred in batches that succeeded
   * @param discarded of those, images whose results came back too late for their caller
   */
  record Counts(long inferred, long discarded) {

    /** The goodput between {@code before} and this reading, or NaN when nothing was inferred. */
    public double goodputSince(Counts before) {
      long inferredInStep = inferred - before.inferred;
      long discardedInStep = discarded - before.discarded;
      return inferredInStep <= 0 ? Double.NaN : 1 - (double) discardedInStep / inferredInStep;
    }
  }

  /** A source that never knows: the report says NaN. */
  GoodputSource NONE = Optional::empty;
}
