package io.mobiserve.metrics;

/**
 * A reading of the counters behind {@code /metrics} that an inference protocol reports itself (KServe's
 * ModelStatistics): calls, images, batches and where their time went, each a running total since start.
 *
 * @param succeeded inference calls that ended OK, and their time from start to status
 * @param failed inference calls that ended with any other status, and their time
 * @param images images run through an engine in a batch that succeeded
 * @param batches engine batches that succeeded
 * @param queue per image: time waiting for an engine
 * @param preprocess per image: decoding, resizing and normalizing (or checking a tensor)
 * @param inference per successful batch: time the engine took
 * @param lastBatchEpochMillis when the last batch succeeded, in milliseconds since the Unix epoch; 0 before any
 */
public record InferenceTotals(
    Tally succeeded, Tally failed, long images, long batches, Tally queue, Tally preprocess, Tally inference,
    long lastBatchEpochMillis) {

  /** Nothing happened yet, or nothing was recorded. */
  public static final InferenceTotals NONE =
      new InferenceTotals(Tally.NONE, Tally.NONE, 0, 0, Tally.NONE, Tally.NONE, Tally.NONE, 0);

  /** How many times something happened and how long it took altogether. */
  public record Tally(long count, long nanos) {
    public static final Tally NONE = new Tally(0, 0);
  }
}
