package io.mobiserve.engine.onnxruntime;

/**
 * How an {@link OrtEngine} runs.
 *
 * @param intraOpThreads threads one inference uses inside ONNX Runtime's operators
 * @param maxBatch the most images one {@code infer} call takes
 */
public record OrtEngineOptions(int intraOpThreads, int maxBatch) {

  public static final int DEFAULT_MAX_BATCH = 64;

  public OrtEngineOptions {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intra-op threads must be at least 1, not " + intraOpThreads);
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("max batch must be at least 1, not " + maxBatch);
    }
  }

  /** One thread per available processor, batches of up to {@value #DEFAULT_MAX_BATCH}. */
  public static OrtEngineOptions defaults() {
    return new OrtEngineOptions(Runtime.getRuntime().availableProcessors(), DEFAULT_MAX_BATCH);
  }

  public OrtEngineOptions withIntraOpThreads(int value) {
    return new OrtEngineOptions(value, maxBatch);
  }

  public OrtEngineOptions withMaxBatch(int value) {
    return new OrtEngineOptions(intraOpThreads, value);
  }
}
