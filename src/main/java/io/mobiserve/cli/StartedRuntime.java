package io.mobiserve.cli;

import io.mobiserve.engine.EngineException;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.server.ModelRuntime;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started model runtime and the backend selection it actually runs. Under {@code --backend auto} a
 * TensorRT engine that passed the probe but cannot be built or loaded (a model the ONNX parser refuses, a
 * GPU out of memory) gives way to the CPU, with that failure as the reason; {@code --backend tensorrt}
 * stops instead.
 */
record StartedRuntime(ModelRuntime runtime, BackendSelection selection) {
  private static final Logger log = LoggerFactory.getLogger(StartedRuntime.class);

  static StartedRuntime start(BackendSelection selection, ModelSpec model, ModelRuntime.Options options,
      ServerMetrics metrics) throws EngineException {
    try {
      return new StartedRuntime(ModelRuntime.start(model, selection.factory(), options, metrics, selection.health()),
          selection);
    } catch (EngineException | RuntimeException | LinkageError e) {
      String failure = e.getMessage() == null ? e.toString() : e.getMessage();
      Optional<BackendSelection> cpu = selection.afterStartFailure(failure);
      if (cpu.isEmpty()) {
        throw e;
      }
      log.warn("the TensorRT engine could not start, so the CPU serves instead: {}", failure);
      return new StartedRuntime(
          ModelRuntime.start(model, cpu.get().factory(), options, metrics, cpu.get().health()), cpu.get());
    }
  }
}
