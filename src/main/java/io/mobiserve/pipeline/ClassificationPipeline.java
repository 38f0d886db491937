package io.mobiserve.pipeline;

import io.mobiserve.batching.InferenceResult;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.InferenceWork;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.pipeline.PipelineListener.Refusal;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImagePreprocessor;
import io.mobiserve.preprocess.InvalidImageException;
import io.mobiserve.preprocess.TopK;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Classifies images, with no knowledge of gRPC: preprocess each image on a bounded pool, hand the batch
 * to the scheduler, turn logits into top-k classes off the engine threads.
 *
 * <p>Every call's future completes exactly once: with one {@link ImageClassification} per image in
 * order, or exceptionally with {@link ImageRejectedException} (a bad image; nothing was queued), {@link
 * SchedulingException} (over a limit, cancelled, expired, shutting down) or {@link
 * io.mobiserve.engine.EngineException}. Safe to call from any thread.
 */
public final class ClassificationPipeline {
  private final ModelSpec model;
  private final ImagePreprocessor preprocessor;
  private final InferenceScheduler scheduler;
  private final Executor preprocessPool;
  private final Executor postprocessPool;
  private final PipelineListener listener;
  private final int imageSize;

  /**
   * A pipeline that reports nothing.
   *
   * @param preprocessPool runs one task per image; it must reject (not block) when full
   * @param postprocessPool turns logits into classes; it must never reject
   */
  public ClassificationPipeline(
      ModelSpec model,
      ImagePreprocessor preprocessor,
      InferenceScheduler scheduler,
      Executor preprocessPool,
      Executor postprocessPool) {
    this(model, preprocessor, scheduler, preprocessPool, postprocessPool, PipelineListener.NONE);
  }

  /**
   * @param preprocessPool runs one task per image; it must reject (not block) when full
   * @param postprocessPool turns logits into classes; it must never reject
   * @param listener told each image's preprocessing time and each refusal
   */
  public ClassificationPipeline(
      ModelSpec model,
      ImagePreprocessor preprocessor,
      InferenceScheduler scheduler,
      Executor preprocessPool,
      Executor postprocessPool,
      PipelineListener listener) {
    this.model = model;
    this.preprocessor = preprocessor;
    this.scheduler = scheduler;
    this.preprocessPool = preprocessPool;
    this.postprocessPool = postprocessPool;
    this.listener = Objects.requireNonNull(listener, "listener");
    this.imageSize = model.input().elementCount();
  }

  public ModelSpec model() {
    return model;
  }

  /**
   * Classifies {@code images}, returning each one's {@code topK} classes.
   *
   * @param topK from 1 to the model's class count
   */
  public CompletableFuture<List<ImageClassification>> classify(List<ImageInput> images, int topK, CallScope scope) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images to classify");
    }
    if (topK < 1 || topK > model.classes()) {
      throw new IllegalArgumentException("top-k must be within 1.." + model.classes() + ", not " + topK);
    }
    return preprocess(images, scope)
        .thenCompose(prepared -> scheduler.submit(
            new InferenceWork(prepared.input(), images.size(), scope.deadlineNanos(), scope.cancelled(),
                scope.priority(), scope.source()))
            .thenApplyAsync(results -> postprocess(results, prepared.preprocessNanos(), topK), postprocessPool));
  }

  private record Prepared(FloatBuffer input, long[] preprocessNanos) {}

  private CompletableFuture<Prepared> preprocess(List<ImageInput> images, CallScope scope) {
    int count = images.size();
    FloatBuffer input = ByteBuffer.allocateDirect(count * imageSize * Float.BYTES)
        .order(ByteOrder.nativeOrder())
        .asFloatBuffer();
    long[] nanos = new long[count];
    CompletableFuture<Prepared> done = new CompletableFuture<>();
    AtomicInteger remaining = new AtomicInteger(count);
    AtomicBoolean failed = new AtomicBoolean();
    for (int i = 0; i < count; i++) {
      int index = i;
      Runnable task = () -> {
        if (failed.get()) {
          return;
        }
        try {
          checkStillWanted(scope);
          long start = System.nanoTime();
          FloatBuffer slot = input.duplicate().position(index * imageSize).limit((index + 1) * imageSize);
          preprocessor.preprocess(images.get(index), slot);
          nanos[index] = System.nanoTime() - start;
          listener.preprocessed(nanos[index]);
          if (remaining.decrementAndGet() == 0) {
            done.complete(new Prepared(input, nanos));
          }
        } catch (InvalidImageException e) {
          fail(done, failed, new ImageRejectedException(index, e.getMessage(), e), Refusal.INVALID_IMAGE, count);
        } catch (SchedulingException e) {
          fail(done, failed, e, e.reason() == SchedulingException.Reason.CANCELLED
              ? Refusal.CANCELLED : Refusal.DEADLINE_EXPIRED, count);
        } catch (RuntimeException e) {
          fail(done, failed, new ImageRejectedException(index, "cannot be preprocessed: " + e, e),
              Refusal.INVALID_IMAGE, count);
        }
      };
      try {
        preprocessPool.execute(task);
      } catch (RejectedExecutionException e) {
        fail(done, failed, new SchedulingException(SchedulingException.Reason.QUEUE_FULL,
            "the preprocessing queue is full; retry later"), Refusal.PREPROCESS_QUEUE_FULL, count);
        break;
      }
    }
    return done;
  }

  private static void checkStillWanted(CallScope scope) throws SchedulingException {
    if (scope.cancelled().getAsBoolean()) {
      throw new SchedulingException(SchedulingException.Reason.CANCELLED, "the call was cancelled");
    }
    if (scope.expired(System.nanoTime())) {
      throw new SchedulingException(SchedulingException.Reason.DEADLINE_EXPIRED,
          "the deadline passed before preprocessing");
    }
  }

  private void fail(CompletableFuture<?> done, AtomicBoolean failed, Throwable cause, Refusal refusal, int images) {
    if (failed.compareAndSet(false, true)) {
      listener.refused(refusal, images);
      done.completeExceptionally(cause);
    }
  }

  private List<ImageClassification> postprocess(List<InferenceResult> results, long[] preprocessNanos, int topK) {
    if (results.size() != preprocessNanos.length) {
      throw new CompletionException(new IllegalStateException(
          "the scheduler answered " + results.size() + " images of " + preprocessNanos.length));
    }
    List<ImageClassification> out = new ArrayList<>(results.size());
    for (int i = 0; i < results.size(); i++) {
      InferenceResult result = results.get(i);
      out.add(new ImageClassification(
          TopK.of(result.logits(), topK, model.labels()),
          preprocessNanos[i],
          result.queueNanos(),
          result.inferenceNanos(),
          result.batchSize()));
    }
    return out;
  }
}
