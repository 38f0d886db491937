package io.mobiserve.metrics;

import io.mobiserve.runtime.RuntimeListener;
import java.util.Set;

/**
 * Everything the server measures, in one place: calls (from the RPC front end), preprocessing (from the
 * pipeline), queueing and batches (from the scheduler), what is being served, and whether the accelerated
 * engine has failed over to its fallback (from the engines' health, for the runtime as a whole).
 *
 * <p>Two implementations: {@link #DISABLED}, which records nothing and registers nothing, and {@link
 * PrometheusMetrics}, which records into a Prometheus registry. Code that reports takes a {@code
 * ServerMetrics} and never checks which. Every method is thread-safe, fast and does not throw.
 */
public interface ServerMetrics extends RequestListener, RuntimeListener {

  /**
   * The running totals so far, counting as inference calls those of {@code inferenceMethods} (full method
   * names, as {@link RequestListener} receives them).
   */
  InferenceTotals totals(Set<String> inferenceMethods);

  /** Records nothing. */
  ServerMetrics DISABLED = new ServerMetrics() {
    @Override
    public void started(String method) {}

    @Override
    public void finished(String method, String caller, String code, long nanos) {}

    @Override
    public InferenceTotals totals(Set<String> inferenceMethods) {
      return InferenceTotals.NONE;
    }

    @Override
    public String toString() {
      return "metrics disabled";
    }
  };
}
