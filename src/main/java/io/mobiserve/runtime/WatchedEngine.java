package io.mobiserve.runtime;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
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
 * <p>One batch at a time, like every {@link InferenceEngine}.
 */
public final class WatchedEngine implements InferenceEngine {
  private static final Logger log = LoggerFactory.getLogger(WatchedEngine.class);

  private final InferenceEngine engine;
  private final EngineHealthListener listener;
  private boolean failing;

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
    Logits logits;
    try {
      logits = engine.run(batchSize);
    } catch (EngineException | RuntimeException | Error e) {
      if (!failing) {
        failing = true;
        String reason = engine.info().backend() + " failed: " + FailoverEngine.describe(e);
        log.warn("degraded: {}; no fallback (--fallback none), so its batches fail", reason);
        listener.degraded(reason);
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
