package io.mobiserve.engine.onnxruntime;

/**
 * How an {@link OrtEngine} runs.
 *
 * @param intraOpThreads threads one inference uses inside ONNX Runtime's operators
 */
public record OrtEngineOptions(int intraOpThreads) {

  public OrtEngineOptions {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intra-op threads must be at least 1, not " + intraOpThreads);
    }
  }

  /** One thread per available processor. */
  public static OrtEngineOptions defaults() {
    return new OrtEngineOptions(Runtime.getRuntime().availableProcessors());
  }
}
