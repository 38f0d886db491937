package io.mobiserve.pipeline;

import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * The threads a pipeline runs its work on.
 *
 * @param preprocess runs one task per encoded or raw image; it must reject (not block) when full
 * @param preprocessThreads how many images {@code preprocess} works on at once, for estimating its backlog
 * @param postprocess turns logits into classes; it must never reject
 */
public record PipelineExecutors(Executor preprocess, int preprocessThreads, Executor postprocess) {

  public PipelineExecutors {
    Objects.requireNonNull(preprocess, "preprocess");
    Objects.requireNonNull(postprocess, "postprocess");
    if (preprocessThreads < 1) {
      throw new IllegalArgumentException("preprocess threads must be at least 1, not " + preprocessThreads);
    }
  }
}
