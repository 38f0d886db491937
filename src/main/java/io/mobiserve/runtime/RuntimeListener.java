package io.mobiserve.runtime;

import io.mobiserve.batching.SchedulerListener;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.pipeline.PipelineListener;

/**
 * What a running model reports: preprocessing (from the pipeline), queueing and batches (from the
 * scheduler), whether the accelerated engine has failed over (from the engines' health), and what is
 * served. Called on hot paths and from many threads: implementations must be thread-safe, fast and must not
 * throw.
 */
public interface RuntimeListener extends PipelineListener, SchedulerListener, EngineHealthListener {

  /**
   * The engines are up.
   *
   * @param model the model's name
   * @param engine the engine instances' description (backend and precision)
   * @param gauges reads what the runtime holds (queued images, reserved memory), at any time
   */
  void modelLoaded(String model, EngineInfo engine, RuntimeGauges gauges);

  /** The backend in use and, in one sentence, why it was chosen. */
  void backendChosen(String backend, String reason);

  /** Reports nothing. */
  RuntimeListener NONE = new RuntimeListener() {
    @Override
    public void preprocessed(long nanos) {}

    @Override
    public void refused(Refusal refusal, int images) {}

    @Override
    public void admitted(io.mobiserve.batching.Priority priority, int images) {}

    @Override
    public void dropped(io.mobiserve.batching.SchedulingException.Reason reason, int images) {}

    @Override
    public void dequeued(io.mobiserve.batching.Priority priority, long queueNanos) {}

    @Override
    public void batchExecuted(int instance, int batchSize, long inferenceNanos, boolean failed) {}

    @Override
    public void discarded(int images) {}

    @Override
    public void degraded(String reason) {}

    @Override
    public void recovered() {}

    @Override
    public void failedOver(int images) {}

    @Override
    public void modelLoaded(String model, EngineInfo engine, RuntimeGauges gauges) {}

    @Override
    public void backendChosen(String backend, String reason) {}
  };
}
