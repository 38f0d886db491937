package io.mobiserve.server;

import io.mobiserve.batching.InferenceResult;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.InferenceWork;
import io.mobiserve.batching.SchedulerListener;
import io.mobiserve.batching.SchedulingException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Reports admissions, drops and each image's queue time to a {@link SchedulerListener}, read from the
 * outcome of each submission, on behalf of a scheduler that does not report them itself. The future
 * it returns completes after the report is made.
 */
final class ReportingScheduler implements InferenceScheduler {
  private final InferenceScheduler scheduler;
  private final SchedulerListener listener;

  ReportingScheduler(InferenceScheduler scheduler, SchedulerListener listener) {
    this.scheduler = scheduler;
    this.listener = listener;
  }

  @Override
  public CompletableFuture<List<InferenceResult>> submit(InferenceWork work) {
    CompletableFuture<List<InferenceResult>> future = scheduler.submit(work);
    // A refusal at admission (queue full, shutting down) fails the future before submit returns.
    if (!future.isCompletedExceptionally()) {
      listener.admitted(work.priority(), work.images());
    }
    return future.whenComplete((results, failure) -> {
      if (results != null) {
        for (InferenceResult result : results) {
          listener.dequeued(work.priority(), result.queueNanos());
        }
      } else if (unwrap(failure) instanceof SchedulingException e) {
        listener.dropped(e.reason(), work.images());
      }
    });
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }

  @Override
  public int queuedImages() {
    return scheduler.queuedImages();
  }

  @Override
  public void close() {
    scheduler.close();
  }
}
