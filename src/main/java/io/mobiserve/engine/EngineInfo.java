package io.mobiserve.engine;

/**
 * Describes an engine instance for people: logs, ModelInfo, metrics.
 *
 * @param backend the engine's name as users see it, e.g. {@code onnxruntime-cpu}
 * @param precision the numeric precision it computes in, e.g. {@code fp32}
 */
public record EngineInfo(String backend, String precision) {}
