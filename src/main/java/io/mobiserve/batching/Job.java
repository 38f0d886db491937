package io.mobiserve.batching;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One admitted {@link InferenceWork}: its future, its images' results as they come back from possibly
 * several engine batches, and how far its images have left the queue.
 *
 * <p>The future completes exactly once: {@link #answer} and {@link #fail} race through one flag, and
 * results that come back after a failure are discarded. {@link #nextImage} is guarded by the batcher's
 * lock; the rest is thread-safe.
 */
final class Job {
  final InferenceWork work;
  final long submittedNanos;
  /** Where image 0 starts in {@code work.input()}: the position when the batcher took ownership. */
  final int base;
  final CompletableFuture<List<InferenceResult>> future = new CompletableFuture<>();

  /** The next image to leave the queue; images below it are in a batch (running or done). */
  int nextImage;

  private final InferenceResult[] results;
  private final AtomicInteger unanswered;
  private final AtomicBoolean finished = new AtomicBoolean();

  Job(InferenceWork work, long submittedNanos) {
    this.work = work;
    this.submittedNanos = submittedNanos;
    this.base = work.input().position();
    this.results = new InferenceResult[work.images()];
    this.unanswered = new AtomicInteger(work.images());
  }

  int queuedImages() {
    return work.images() - nextImage;
  }

  boolean isFinished() {
    return finished.get();
  }

  /** Records image {@code index}'s result; the last one completes the future. */
  void answer(int index, InferenceResult result) {
    if (finished.get()) {
      return; // failed (expired, cancelled, engine error) while this image was in a batch
    }
    results[index] = result;
    // The decrement publishes this write to whichever thread makes the last one.
    if (unanswered.decrementAndGet() == 0 && finished.compareAndSet(false, true)) {
      future.complete(Collections.unmodifiableList(Arrays.asList(results)));
    }
  }

  /** Fails the future unless it is already complete; true when this call completed it. */
  boolean fail(Throwable cause) {
    return fail(cause, () -> {});
  }

  /**
   * Fails the future unless it is already complete, running {@code beforeCompleting} first when it does
   * (so that what is reported about the failure is in place before the caller sees it).
   */
  boolean fail(Throwable cause, Runnable beforeCompleting) {
    if (finished.compareAndSet(false, true)) {
      beforeCompleting.run();
      future.completeExceptionally(cause);
      return true;
    }
    return false;
  }
}
