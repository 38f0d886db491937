package io.mobiserve.cli;

import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;

/**
 * Chooses the engine for a {@code --backend} request and says why, so that the choice can be logged and
 * reported in ModelInfo.
 *
 * @param factory creates the chosen engine's instances
 * @param reason one sentence: which backend and why
 */
record BackendSelection(EngineFactory factory, String reason) {

  /** @throws ConfigurationException when the requested backend cannot run here */
  static BackendSelection choose(Backend requested, OrtEngineOptions cpuOptions) {
    EngineFactory cpu = model -> OrtEngine.open(model, cpuOptions);
    return switch (requested) {
      case CPU -> new BackendSelection(cpu, "cpu: requested with --backend cpu");
      case AUTO -> new BackendSelection(cpu, "auto: this build has no TensorRT engine, so ONNX Runtime on the CPU");
      case TENSORRT -> throw new ConfigurationException(
          "--backend tensorrt: this build of mobiserve has no TensorRT engine yet; use --backend cpu or auto");
    };
  }
}
