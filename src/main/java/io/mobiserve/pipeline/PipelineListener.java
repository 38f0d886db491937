package io.mobiserve.pipeline;

/**
 * What the pipeline reports as it works, for metrics. Called on hot paths and from many threads:
 * implementations must be thread-safe, fast and must not throw.
 */
public interface PipelineListener {

  /** Why the pipeline refused a request's images before they reached the scheduler. */
  enum Refusal {
    /** An image could not be decoded or used; the request was answered INVALID_ARGUMENT. */
    INVALID_IMAGE,
    /** The preprocessing pool was full. */
    PREPROCESS_QUEUE_FULL,
    /** The memory budget could not hold the request now. */
    MEMORY_FULL,
    /** The work queued ahead would have taken longer than the request's deadline. */
    OVERLOADED,
    /** The request needed more than the whole memory budget. */
    TOO_LARGE,
    /** The caller cancelled before preprocessing finished. */
    CANCELLED,
    /** The caller's deadline passed before preprocessing finished. */
    DEADLINE_EXPIRED
  }

  /** One image was decoded, resized and normalized (or its tensor checked) in {@code nanos}. */
  void preprocessed(long nanos);

  /** A request of {@code images} images was refused whole, before any of them was queued. */
  void refused(Refusal refusal, int images);

  /** Reports nothing. */
  PipelineListener NONE = new PipelineListener() {
    @Override
    public void preprocessed(long nanos) {}

    @Override
    public void refused(Refusal refusal, int images) {}
  };
}
