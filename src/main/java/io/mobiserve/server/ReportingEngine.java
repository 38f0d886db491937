package io.mobiserve.server;

import io.mobiserve.batching.SchedulerListener;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;
import java.util.function.LongSupplier;

/**
 * Reports each batch that one engine instance runs — its size, duration and outcome — to a {@link
 * SchedulerListener}, on behalf of a scheduler that does not report batches itself. Like the engine it
 * wraps, one batch at a time.
 */
final class ReportingEngine implements InferenceEngine {
  private final InferenceEngine engine;
  private final int instance;
  private final SchedulerListener listener;
  private final LongSupplier nanoClock;

  ReportingEngine(InferenceEngine engine, int instance, SchedulerListener listener, LongSupplier nanoClock) {
    this.engine = engine;
    this.instance = instance;
    this.listener = listener;
    this.nanoClock = nanoClock;
  }

  @Override
  public Logits infer(FloatBuffer input, int batchSize) throws EngineException {
    long start = nanoClock.getAsLong();
    boolean failed = true;
    try {
      Logits logits = engine.infer(input, batchSize);
      failed = false;
      return logits;
    } finally {
      listener.batchExecuted(instance, batchSize, nanoClock.getAsLong() - start, failed);
    }
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
