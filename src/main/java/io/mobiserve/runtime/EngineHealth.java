package io.mobiserve.runtime;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The health of a runtime's engine instances as a whole, for the server's health service, ModelInfo and
 * metrics: the instances' {@link FailoverEngine}s report to it, and it tells its watchers when the whole
 * turns degraded (the first instance degrades) and recovered (the last one recovers).
 *
 * <p>Also says whether the backend is accelerated at all: a runtime on the CPU is never degraded, but it
 * is not accelerated either; and whether the accelerated engine failed for good ({@link #restartRequired()}),
 * in which case, without a fallback, nothing answers any more ({@link #answering()}).
 *
 * <p>Thread-safe. Watchers are called on the reporting engine's thread, one transition at a time, in
 * order, while this object's lock is held; the state's readers never take that lock, so a watcher may read
 * it.
 */
public final class EngineHealth implements EngineHealthListener {
  private final boolean accelerated;
  private final String fallback;
  private final List<EngineHealthListener> watchers = new CopyOnWriteArrayList<>();
  // Written under this object's lock, read without it: watchers read them while the lock is held elsewhere.
  private volatile int degradedInstances;
  private volatile String reason = "";
  private volatile boolean restartRequired;

  private EngineHealth(boolean accelerated, String fallback) {
    this.accelerated = accelerated;
    this.fallback = Objects.requireNonNull(fallback, "fallback");
  }

  /** An accelerated backend; {@code fallback} names the backend that takes over, or is empty for none. */
  public static EngineHealth accelerated(String fallback) {
    return new EngineHealth(true, fallback);
  }

  /** A backend that is not accelerated (the CPU): nothing to fall back from. */
  public static EngineHealth unaccelerated() {
    return new EngineHealth(false, "");
  }

  /**
   * Tells {@code watcher} about every later transition and failover; if the engines are degraded now, it
   * is told so at once.
   */
  public synchronized void watch(EngineHealthListener watcher) {
    watchers.add(Objects.requireNonNull(watcher, "watcher"));
    if (degradedInstances > 0) {
      watcher.degraded(reason);
    }
    if (restartRequired) {
      watcher.restartRequired(reason);
    }
  }

  @Override
  public synchronized void degraded(String why) {
    degradedInstances++;
    if (!restartRequired) { // the lost engine's reason stays: nothing else matters as much
      reason = why;
    }
    if (degradedInstances == 1) {
      watchers.forEach(watcher -> watcher.degraded(why));
    }
  }

  @Override
  public synchronized void recovered() {
    if (degradedInstances == 0) {
      return;
    }
    degradedInstances--;
    if (degradedInstances == 0) {
      reason = "";
      watchers.forEach(EngineHealthListener::recovered);
    }
  }

  /** The first report wins and is passed on; the state never clears (the engine is never tried again). */
  @Override
  public synchronized void restartRequired(String why) {
    if (restartRequired) {
      return;
    }
    restartRequired = true;
    reason = why;
    watchers.forEach(watcher -> watcher.restartRequired(why));
  }

  @Override
  public void failedOver(int images) {
    watchers.forEach(watcher -> watcher.failedOver(images));
  }

  /** Whether the backend is accelerated (a GPU), degraded or not. */
  public boolean accelerated() {
    return accelerated;
  }

  /** The backend that takes over when the accelerated one fails, or empty when none does. */
  public String fallback() {
    return fallback;
  }

  /** Whether some engine instance runs on its fallback now. */
  public boolean degraded() {
    return degradedInstances > 0;
  }

  /** Why the engines are degraded (the latest failure), or empty while they are not. */
  public String degradedReason() {
    return reason;
  }

  /** Whether the accelerated engine failed for good: only a restart of the process brings it back. */
  public boolean restartRequired() {
    return restartRequired;
  }

  /**
   * Whether batches are still answered: false only once the accelerated engine failed for good and there
   * is no fallback. The server's main health follows it, so that an orchestrator replaces the process.
   */
  public boolean answering() {
    return !(restartRequired && fallback.isEmpty());
  }

  /** Accelerated, and no instance degraded: what the accelerated health service reports as SERVING. */
  public boolean acceleratedAndHealthy() {
    return accelerated && degradedInstances == 0;
  }

  @Override
  public String toString() {
    return !accelerated ? "not accelerated"
        : restartRequired ? "restart required: " + reason
        : degradedInstances > 0 ? "degraded: " + reason
        : "healthy";
  }
}
