package io.mobiserve.engine.onnxruntime;

/**
 * How an {@link OrtEngine} runs.
 *
 * @param intraOpThreads threads one inference uses inside ONNX Runtime's operators (the calling thread is
 *     one of them)
 * @param spinning whether those threads spin between operators instead of sleeping: faster for a lone
 *     engine, but the spinning takes the cores from the threads that receive, decode and answer requests
 */
public record OrtEngineOptions(int intraOpThreads, boolean spinning) {

  public OrtEngineOptions {
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intra-op threads must be at least 1, not " + intraOpThreads);
    }
  }

  /** {@code intraOpThreads} threads that sleep between operators. */
  public OrtEngineOptions(int intraOpThreads) {
    this(intraOpThreads, false);
  }

  /** One thread per available processor, not spinning. */
  public static OrtEngineOptions defaults() {
    return new OrtEngineOptions(Runtime.getRuntime().availableProcessors());
  }
}
