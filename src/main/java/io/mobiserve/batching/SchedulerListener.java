package io.mobiserve.batching;

/**
 * What a scheduler reports as it works, for metrics and logs. Called on hot paths and from many threads:
 * implementations must be thread-safe, fast and must not throw.
 */
public interface SchedulerListener {

  /** {@code images} were queued. */
  void admitted(Priority priority, int images);

  /**
   * {@code images} were answered without being run: refused at submission (QUEUE_FULL, SHUT_DOWN), or
   * taken out of the queue because their caller had gone or their deadline had passed (CANCELLED,
   * DEADLINE_EXPIRED).
   */
  void dropped(SchedulingException.Reason reason, int images);

  /** An image left the queue for an engine batch after waiting {@code queueNanos}. */
  void dequeued(Priority priority, long queueNanos);

  /**
   * Engine instance {@code instance} ran a batch of {@code batchSize} images in {@code inferenceNanos}.
   *
   * @param failed true when the engine failed and every image of the batch was answered with its error
   */
  void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed);

  /**
   * {@code images} were inferred in vain: their results came back after their work had failed (its
   * deadline passed or its caller went while they were in the engine). Together with {@link #batchExecuted},
   * the goodput: the share of inferred images whose results reached their caller.
   */
  void discarded(int images);

  /** Reports nothing. */
  SchedulerListener NONE = new SchedulerListener() {
    @Override
    public void admitted(Priority priority, int images) {}

    @Override
    public void dropped(SchedulingException.Reason reason, int images) {}

    @Override
    public void dequeued(Priority priority, long queueNanos) {}

    @Override
    public void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed) {}

    @Override
    public void discarded(int images) {}
  };
}
