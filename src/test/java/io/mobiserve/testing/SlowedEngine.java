package io.mobiserve.testing;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;
import java.util.concurrent.atomic.AtomicLong;

/** A real engine that sleeps before every batch, to overload a server on purpose; counts its batches. */
public final class SlowedEngine implements InferenceEngine {
  private final InferenceEngine engine;
  private final long delayMillis;
  private final AtomicLong batches;

  /** @param batches counts every batch this engine runs */
  public SlowedEngine(InferenceEngine engine, long delayMillis, AtomicLong batches) {
    this.engine = engine;
    this.delayMillis = delayMillis;
    this.batches = batches;
  }

  @Override
  public FloatBuffer input() {
    return engine.input();
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    batches.incrementAndGet();
    try {
      Thread.sleep(delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted", e);
    }
    return engine.run(batchSize);
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
