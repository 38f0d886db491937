package io.mobiserve.batching;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link InferenceWork} the batcher has taken: its future, its images' results as they come back from
 * possibly several engine batches, how far its images have left the queue, and who still reads its
 * images.
 *
 * <p>The future completes exactly once: {@link #answer} and {@link #fail} race through one flag, and
 * results that come back after a failure are discarded.
 *
 * <p>The images' memory is released exactly once, when the future has completed and no batch is copying
 * from it: the work holds one reference until it finishes, each batch assembling some of its images holds
 * one more ({@link #retain}, {@link #release}). {@link #nextImage} is guarded by the batcher's lock; the
 * rest is thread-safe.
 */
final class AdmittedWork {
  final InferenceWork work;
  final long submittedNanos;
  final CompletableFuture<List<InferenceResult>> future = new CompletableFuture<>();

  /** The next image to leave the queue; images below it are in a batch (running or done). */
  int nextImage;

  private final InferenceResult[] results;
  private final AtomicInteger unanswered;
  private final AtomicBoolean finished = new AtomicBoolean();
  /** References to the images' memory: the work's own until it finishes, plus one per assembling batch. */
  private final AtomicInteger readers = new AtomicInteger(1);

  AdmittedWork(InferenceWork work, long submittedNanos) {
    this.work = work;
    this.submittedNanos = submittedNanos;
    this.results = new InferenceResult[work.imageCount()];
    this.unanswered = new AtomicInteger(work.imageCount());
  }

  int queuedImages() {
    return work.imageCount() - nextImage;
  }

  boolean isFinished() {
    return finished.get();
  }

  /**
   * Records image {@code index}'s result; the last one completes the future.
   *
   * @return false when the result is discarded: the work had already failed (expired, cancelled, an engine
   *     error) while this image was in a batch
   */
  boolean answer(int index, InferenceResult result) {
    if (finished.get()) {
      return false;
    }
    results[index] = result;
    // The decrement publishes this write to whichever thread makes the last one.
    if (unanswered.decrementAndGet() == 0 && finished.compareAndSet(false, true)) {
      future.complete(Collections.unmodifiableList(Arrays.asList(results)));
      release();
    }
    return true;
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
      release();
      return true;
    }
    return false;
  }

  /**
   * A batch is about to copy some of this work's images: keeps their memory until {@link #release}. False
   * when the work has finished and its memory is gone already; its images must then stay out of the batch.
   */
  boolean retain() {
    while (true) {
      int current = readers.get();
      if (current == 0) {
        return false;
      }
      if (readers.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Drops one reference; the last one gives the images' memory back to the work's owner. */
  void release() {
    if (readers.decrementAndGet() == 0) {
      work.releaseImages().run();
    }
  }
}
