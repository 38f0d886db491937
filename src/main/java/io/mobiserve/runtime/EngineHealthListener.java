package io.mobiserve.runtime;

/**
 * Told when an accelerated engine stops working and a fallback takes over, and when it works again.
 *
 * <p>Implementations are called from engine worker threads, while a batch is being run: they must be
 * thread-safe, fast, and must not throw.
 */
public interface EngineHealthListener {

  /**
   * The primary engine failed; batches now run on the fallback until it recovers.
   *
   * @param reason one sentence: which engine failed and how
   */
  void degraded(String reason);

  /** The primary engine ran a batch again; batches go back to it. */
  void recovered();

  /**
   * A batch was answered by the fallback engine, either right after the primary failed on it or while
   * degraded.
   *
   * @param images the batch's size
   */
  void failedOver(int images);

  /**
   * The primary engine failed for good ({@link io.mobiserve.engine.UnrecoverableEngineException}): it is
   * never tried again, and only a restart of the process brings it back. Follows {@link #degraded}.
   *
   * @param reason one sentence: which engine failed, how, and that a restart is required
   */
  default void restartRequired(String reason) {}

  /** Ignores everything. */
  EngineHealthListener NONE = new EngineHealthListener() {
    @Override
    public void degraded(String reason) {}

    @Override
    public void recovered() {}

    @Override
    public void failedOver(int images) {}

    @Override
    public String toString() {
      return "no engine health listener";
    }
  };
}
