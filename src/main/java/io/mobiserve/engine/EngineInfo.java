package io.mobiserve.engine;

/**
 * Describes an engine instance.
 *
 * @param backend the engine's name as users see it, e.g. {@code onnxruntime-cpu}
 * @param precision the numeric precision it computes in, e.g. {@code fp32}
 * @param maxBatch the most images one {@link InferenceEngine#infer} call takes
 */
public record EngineInfo(String backend, String precision, int maxBatch) {}
