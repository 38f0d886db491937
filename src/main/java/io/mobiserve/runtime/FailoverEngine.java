package io.mobiserve.runtime;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One engine instance that keeps answering when its accelerated engine fails: a batch the primary (GPU)
 * engine fails on is run again at once on the fallback (CPU) engine, so no image loses its answer.
 *
 * <p>After a failure the instance is <em>degraded</em>: batches go straight to the fallback, and the
 * primary is tried again after a back-off (1 s, doubling up to 60 s by default). A batch the primary runs
 * recovers the instance. Each transition is reported once to the {@link EngineHealthListener} and logged
 * once (WARN on degrading, INFO on recovering). A primary that fails with an
 * {@link UnrecoverableEngineException} (a sticky CUDA error) is never tried again: the fallback serves for
 * good, and the listener hears that a restart is required.
 *
 * <p>{@link #info()} always describes the primary — its backend and precision — whether or not the
 * instance is degraded: it names the backend that was configured. Whether the fallback is running now is
 * {@link #degraded()} and the listener's business.
 *
 * <p>Batches are assembled in the primary's {@link #input()}; a batch the fallback runs is copied into the
 * fallback's own input first (only then, so the healthy path copies nothing).
 *
 * <p>Like every {@link InferenceEngine}, one batch at a time: {@link #run} must not be called
 * concurrently. {@link #info()} and {@link #degraded()} are safe from any thread.
 */
public final class FailoverEngine implements InferenceEngine {
  private static final Logger log = LoggerFactory.getLogger(FailoverEngine.class);

  /** The first wait before the primary is tried again. */
  public static final Duration FIRST_RETRY = Duration.ofSeconds(1);
  /** The longest wait before the primary is tried again. */
  public static final Duration LONGEST_RETRY = Duration.ofSeconds(60);

  private final InferenceEngine primary;
  private final InferenceEngine fallback;
  private final LongSupplier nanoClock;
  private final EngineHealthListener listener;
  private final RetryBackoff backoff;
  private final int imageFloats;

  private volatile String degradedReason; // null while healthy
  private long retryAtNanos;
  private boolean primaryLost; // after an unrecoverable failure: never tried again

  /**
   * @param primary the engine that runs batches while it works; closed with this one
   * @param fallback the engine that answers while the primary fails; already open, so that a failover
   *     never waits for a session to load; closed with this one
   * @param imageFloats the floats of one image (C × H × W), to copy a batch to the fallback
   * @param nanoClock reads the time in nanoseconds ({@code System::nanoTime}; a fake one in tests)
   * @param listener told of each transition and of each batch the fallback answers
   */
  public FailoverEngine(InferenceEngine primary, InferenceEngine fallback, int imageFloats, LongSupplier nanoClock,
      EngineHealthListener listener) {
    this(primary, fallback, imageFloats, nanoClock, listener, FIRST_RETRY, LONGEST_RETRY);
  }

  /** As above, with the back-off's first and longest waits. */
  public FailoverEngine(InferenceEngine primary, InferenceEngine fallback, int imageFloats, LongSupplier nanoClock,
      EngineHealthListener listener, Duration firstRetry, Duration longestRetry) {
    this.primary = Objects.requireNonNull(primary, "primary");
    this.fallback = Objects.requireNonNull(fallback, "fallback");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.backoff = new RetryBackoff(firstRetry, longestRetry);
    if (imageFloats < 1) {
      throw new IllegalArgumentException("an image must have at least one float, not " + imageFloats);
    }
    this.imageFloats = imageFloats;
  }

  /**
   * A factory of failover instances: each pairs a new {@code primary} instance with a new {@code fallback}
   * instance, both created at once (eagerly), all reporting to {@code listener}.
   */
  public static EngineFactory factory(EngineFactory primary, EngineFactory fallback, LongSupplier nanoClock,
      EngineHealthListener listener) {
    return (model, batches) -> {
      InferenceEngine accelerated = primary.create(model, batches);
      try {
        return new FailoverEngine(accelerated, fallback.create(model, batches), model.input().elementCount(),
            nanoClock, listener);
      } catch (EngineException | RuntimeException e) {
        accelerated.close();
        throw e;
      }
    };
  }

  @Override
  public FloatBuffer input() {
    return primary.input();
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    String primaryFailure = degradedReason;
    if (primaryFailure == null || (!primaryLost && nanoClock.getAsLong() - retryAtNanos >= 0)) {
      try {
        Logits logits = primary.run(batchSize);
        if (logits.batchSize() != batchSize) {
          throw new EngineException(primary.info().backend() + " answered " + logits.batchSize()
              + " images of a batch of " + batchSize);
        }
        if (primaryFailure != null) {
          recover();
        }
        return logits;
      } catch (EngineException | RuntimeException | Error e) {
        primaryFailure = primaryFailed(e);
      }
    }
    return onFallback(batchSize, primaryFailure);
  }

  private String primaryFailed(Throwable failure) {
    String reason = primary.info().backend() + " failed: " + describe(failure);
    boolean wasHealthy = degradedReason == null;
    if (failure instanceof UnrecoverableEngineException) {
      return primaryLost(reason, wasHealthy, failure);
    }
    long delay = backoff.nextDelayNanos();
    retryAtNanos = nanoClock.getAsLong() + delay;
    degradedReason = reason;
    String retry = Duration.ofNanos(delay).toMillis() + " ms";
    if (wasHealthy) {
      log.warn("degraded: {}; batches run on {} now, {} is tried again in {}", reason, fallback.info().backend(),
          primary.info().backend(), retry);
      log.debug("{} failure", primary.info().backend(), failure);
      listener.degraded(reason);
    } else {
      log.info("{} still fails ({}); tried again in {}", primary.info().backend(), describe(failure), retry);
    }
    return reason;
  }

  private String primaryLost(String failure, boolean wasHealthy, Throwable cause) {
    String reason = failure + "; restart required: " + fallback.info().backend() + " serves until then";
    primaryLost = true;
    degradedReason = reason;
    log.error("{} failed for good: {}; batches run on {} from now on; restart the server to use {} again",
        primary.info().backend(), describe(cause), fallback.info().backend(), primary.info().backend());
    if (wasHealthy) {
      listener.degraded(reason);
    }
    listener.restartRequired(reason);
    return reason;
  }

  private void recover() {
    degradedReason = null;
    backoff.reset();
    log.info("recovered: {} runs batches again", primary.info().backend());
    listener.recovered();
  }

  private Logits onFallback(int batchSize, String primaryFailure) throws EngineException {
    Logits logits;
    try {
      // The batch was assembled in the primary's memory, which a failed primary run does not change.
      int floats = batchSize * imageFloats;
      fallback.input().put(0, primary.input(), 0, floats);
      logits = fallback.run(batchSize);
    } catch (EngineException | RuntimeException | Error e) {
      throw new EngineException("both engines failed: " + primaryFailure + "; then the fallback "
          + fallback.info().backend() + " failed: " + describe(e), e);
    }
    listener.failedOver(batchSize);
    return logits;
  }

  /** An engine failure in words: an {@link EngineException}'s own message, else the throwable itself. */
  static String describe(Throwable failure) {
    return failure instanceof EngineException ? failure.getMessage() : failure.toString();
  }

  /** Whether batches run on the fallback now. */
  public boolean degraded() {
    return degradedReason != null;
  }

  /** Why the instance is degraded, or empty while it is healthy. */
  public String degradedReason() {
    String reason = degradedReason;
    return reason == null ? "" : reason;
  }

  /** The fallback engine's description. */
  public EngineInfo fallbackInfo() {
    return fallback.info();
  }

  @Override
  public EngineInfo info() {
    return primary.info();
  }

  @Override
  public void close() {
    try {
      primary.close();
    } finally {
      fallback.close();
    }
  }
}
