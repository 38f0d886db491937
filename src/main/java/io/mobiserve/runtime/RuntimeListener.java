package io.mobiserve.runtime;

import io.mobiserve.batching.Priority;
import io.mobiserve.batching.SchedulerListener;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.pipeline.PipelineListener;

/**
 * What a running model reports: preprocessing (from the pipeline), queueing and batches (from the
 * scheduler), whether the accelerated engine has failed over (from the engines' health), and what is
 * served. Called on hot paths and from many threads: implementations must be thread-safe, fast and must not
 * throw. Every method does nothing unless overridden, so a listener names only what it cares about.
 */
public interface RuntimeListener extends PipelineListener, SchedulerListener, EngineHealthListener {

  /**
   * The engines are up.
   *
   * @param model the model's name
   * @param engine the engine instances' description (backend and precision)
   * @param gauges reads what the runtime holds (queued images, reserved memory), at any time
   */
  default void modelLoaded(String model, EngineInfo engine, RuntimeGauges gauges) {}

  /** The backend in use and, in one sentence, why it was chosen. */
  default void backendChosen(String backend, String reason) {}

  @Override
  default void preprocessed(long nanos) {}

  @Override
  default void refused(Refusal refusal, int images) {}

  @Override
  default void admitted(Priority priority, int images) {}

  @Override
  default void dropped(SchedulingException.Reason reason, int images) {}

  @Override
  default void dequeued(Priority priority, long queueNanos) {}

  @Override
  default void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed) {}

  @Override
  default void discarded(int images) {}

  @Override
  default void degraded(String reason) {}

  @Override
  default void recovered() {}

  @Override
  default void failedOver(int images) {}

  /** Reports nothing. */
  RuntimeListener NONE = new RuntimeListener() {};
}
