package io.mobiserve.runtime;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.nio.FloatBuffer;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An accelerated engine with no fallback ({@code --fallback none}), whose failures are still seen: a batch
 * it fails on fails (its requests get the error), and the {@link EngineHealthListener} hears that the
 * engine is degraded, so that health and metrics say so, until a batch succeeds again. Nothing is retried
 * on another engine: the user forbade that.
 *
 * <p>After an {@link UnrecoverableEngineException} (a sticky CUDA error) the engine is never asked again:
 * every later batch fails at once with the same reason, and the listener hears that a restart is required,
 * so that health turns NOT_SERVING and the orchestrator replaces the process.
 *
 * <p>One batch at a time, like every {@link InferenceEngine}.
 */
public final class WatchedEngine implements InferenceEngine {
  private static final Logger log = LoggerFactory.getLogger(WatchedEngine.class);

  private final InferenceEngine engine;
  private final EngineHealthListener listener;
  private boolean failing;
  private String lostReason; // after an unrecoverable failure

  public WatchedEngine(InferenceEngine engine, EngineHealthListener listener) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** A factory whose instances are {@code engine}'s, each watched by {@code listener}. */
  public static EngineFactory factory(EngineFactory engine, EngineHealthListener listener) {
    return (model, batches) -> new WatchedEngine(engine.create(model, batches), listener);
  }

  @Override
  public FloatBuffer input() {
    return engine.input();
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    if (lostReason != null) {
      throw new UnrecoverableEngineException(lostReason);
    }
    Logits logits;
    try {
      logits = engine.run(batchSize);
    } catch (EngineException | RuntimeException | Error e) {
      String reason = engine.info().backend() + " failed: " + FailoverEngine.describe(e);
      if (!failing) {
        failing = true;
        log.warn("degraded: {}; no fallback (--fallback none), so its batches fail", reason);
        listener.degraded(reason);
      }
      if (e instanceof UnrecoverableEngineException) {
        lostReason = reason + "; restart required";
        log.error("{} failed for good: {}; every batch fails until the server restarts", engine.info().backend(),
            FailoverEngine.describe(e));
        listener.restartRequired(lostReason);
      }
      throw e;
    }
    if (failing) {
      failing = false;
      log.info("recovered: {} runs batches again", engine.info().backend());
      listener.recovered();
    }
    return logits;
  }

  @Override
  public EngineInfo info() {
    return engine.info();
  }

  @Override
  public void close() {
    engine.close();
  }
}
