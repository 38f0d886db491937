package io.mobiserve.runtime;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.model.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runtime's engine instances and the batch sizes decided for them, before any batcher: what {@link
 * ModelRuntime} runs, and what {@code bench --engine-only} measures alone. Closing the set closes every
 * instance; whoever owns the instances closes it.
 */
public final class EngineSet implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EngineSet.class);

  private final List<InferenceEngine> engines;
  private final BatchSizes batches;
  private final BackendChoice backend;

  private EngineSet(List<InferenceEngine> engines, BatchSizes batches, BackendChoice backend) {
    this.engines = List.copyOf(engines);
    this.batches = batches;
    this.backend = backend;
  }

  /**
   * Decides the batch sizes once ({@link BatchSizes#decide}) and creates {@code config.instances()} instances
   * of {@code backend}'s engine. Under {@code auto}, a TensorRT engine that passed the probe but cannot be
   * built or loaded gives way to the CPU, with that failure as the reason ({@link #backend()}); otherwise a
   * failure stops, and the instances already created are closed.
   *
   * @throws EngineException when the engines cannot start
   */
  public static EngineSet open(ModelSpec model, RuntimeConfig config, BackendChoice backend) throws EngineException {
    BatchSizes batches = BatchSizes.decide(config.maxBatch(), config.preferredBatchSizes(), model.fixedBatch());
    try {
      return new EngineSet(create(model, backend, batches, config.instances()), batches, backend);
    } catch (EngineException | RuntimeException | LinkageError e) {
      String failure = e.getMessage() == null ? e.toString() : e.getMessage();
      Optional<BackendChoice> cpu = backend.afterStartFailure(failure);
      if (cpu.isEmpty()) {
        throw e;
      }
      log.warn("the TensorRT engine could not start, so the CPU serves instead: {}", failure);
      return new EngineSet(create(model, cpu.get(), batches, config.instances()), batches, cpu.get());
    }
  }

  private static List<InferenceEngine> create(ModelSpec model, BackendChoice backend, BatchSizes batches,
      int instances) throws EngineException {
    List<InferenceEngine> engines = new ArrayList<>();
    try {
      for (int i = 0; i < instances; i++) {
        engines.add(backend.factory().create(model, batches));
      }
    } catch (EngineException | RuntimeException | LinkageError e) {
      engines.forEach(InferenceEngine::close);
      throw e;
    }
    return engines;
  }

  /** The instances, each running one batch at a time. */
  public List<InferenceEngine> engines() {
    return engines;
  }

  /** The batch sizes every instance was created for. */
  public BatchSizes batches() {
    return batches;
  }

  /** The backend that runs, and why; under {@code auto} possibly not the one first chosen. */
  public BackendChoice backend() {
    return backend;
  }

  @Override
  public void close() {
    engines.forEach(InferenceEngine::close);
  }
}
