package io.mobiserve.batching;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Takes preprocessed images from many callers and runs them on the inference engines.
 *
 * <p>Ownership: once {@link #submit} returns a future, the scheduler owns the work and completes that
 * future exactly once — with one result per image, in order, or exceptionally with a {@link
 * SchedulingException} (rejected, expired, cancelled) or an {@link io.mobiserve.engine.EngineException}.
 * If {@code submit} throws, nothing was queued and the work's images are still the caller's. Safe to call from
 * any thread.
 */
public interface InferenceScheduler extends AutoCloseable {

  /** Queues the work; never blocks. */
  CompletableFuture<List<InferenceResult>> submit(InferenceWork work);

  /** The number of images waiting for an engine now. */
  int queuedImages();

  /**
   * About how long {@code images} more images submitted now would take to come back: the queue ahead of
   * them and their own batches, at the engines' measured speed. 0 while nothing has been measured yet.
   */
  long estimatedNanos(int images);

  /**
   * About how long {@code images} images would take on idle engines, with nothing queued ahead: a lower bound
   * of what any request of that many images needs. 0 while nothing has been measured yet.
   */
  long idleNanos(int images);

  /**
   * Stops taking work, lets queued and running work finish, then frees the engines. Work submitted
   * afterwards is rejected.
   */
  @Override
  void close();
}
