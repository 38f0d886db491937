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
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Classifies images, with no knowledge of gRPC: preprocess each image on a bounded pool, hand the images
 * to the scheduler, turn logits into top-k classes off the engine threads.
 *
 * <p>Memory: encoded and raw images are preprocessed into pooled direct buffers, which go back to the pool
 * when the scheduler lets go of them; a tensor is checked where it lies (in the request's bytes) and
 * copied once, by the scheduler, into the engine's memory.
 *
 * <p>Every call's future completes exactly once: with one {@link ImageClassification} per image in
 * order, or exceptionally with {@link ImageRejectedException} (a bad image; nothing was queued), {@link
 * SchedulingException} (over a limit, cancelled, expired, shutting down) or {@link
 * io.mobiserve.engine.EngineException}. Safe to call from any thread.
 */
public final class ClassificationPipeline {
  /** Preprocessed-image buffers kept for reuse: a few full batches' worth. */
  private static final int IDLE_IMAGE_BUFFERS = 64;

  private final ModelSpec model;
  private final ImagePreprocessor preprocessor;
  private final InferenceScheduler scheduler;
  private final Executor preprocessPool;
  private final Executor postprocessPool;
  private final PipelineListener listener;
  private final ImageBufferPool buffers;

  /**
   * A pipeline that reports nothing.
   *
   * @param preprocessPool runs one task per encoded or raw image; it must reject (not block) when full
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
   * @param preprocessPool runs one task per encoded or raw image; it must reject (not block) when full
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
    this.buffers = new ImageBufferPool(model.input().elementCount(), IDLE_IMAGE_BUFFERS);
  }

  public ModelSpec model() {
    return model;
  }

  /**
   * Classifies {@code images}, returning each one's {@code topK} classes.
   *
   * @param images the images; their buffers must stay unchanged until the returned future completes
   * @param topK from 1 to the model's class count
   */
  public CompletableFuture<List<ImageClassification>> classify(List<ImageInput> images, int topK, CallScope scope) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("no images to classify");
    }
    if (topK < 1 || topK > model.classes()) {
      throw new IllegalArgumentException("top-k must be within 1.." + model.classes() + ", not " + topK);
    }
    return new Preparation(images, scope).start()
        .thenCompose(prepared -> submit(prepared, scope)
            .thenApplyAsync(results -> postprocess(results, prepared.preprocessNanos(), topK), postprocessPool));
  }

  /** Every image's model input, and the pooled buffers among them to give back once the scheduler is done. */
  private record Prepared(List<FloatBuffer> inputs, long[] preprocessNanos, List<FloatBuffer> pooled) {}

  private CompletableFuture<List<InferenceResult>> submit(Prepared prepared, CallScope scope) {
    InferenceWork work = new InferenceWork(prepared.inputs(), scope.deadlineNanos(), scope.cancelled(),
        scope.priority(), scope.source(), () -> prepared.pooled().forEach(buffers::give));
    try {
      return scheduler.submit(work);
    } catch (RuntimeException e) {
      prepared.pooled().forEach(buffers::give); // not queued: the images are still ours
      throw e;
    }
  }

  /**
   * One request's preprocessing: tensors are checked at once on the caller's thread; encoded and raw images
   * are preprocessed on the pool, one task each, into pooled buffers. The first failure fails the whole
   * request, but the pooled buffers go back only when no task can still be writing into them.
   */
  private final class Preparation {
    private final List<ImageInput> images;
    private final CallScope scope;
    private final FloatBuffer[] inputs;
    private final long[] nanos;
    private final List<FloatBuffer> pooled = new ArrayList<>();
    /** Tasks not yet finished, plus one for the caller's own work until it has handed out every task. */
    private final AtomicInteger pending = new AtomicInteger(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<Prepared> done = new CompletableFuture<>();

    Preparation(List<ImageInput> images, CallScope scope) {
      this.images = images;
      this.scope = scope;
      this.inputs = new FloatBuffer[images.size()];
      this.nanos = new long[images.size()];
    }

    CompletableFuture<Prepared> start() {
      for (int i = 0; i < images.size() && failure.get() == null; i++) {
        ImageInput image = images.get(i);
        if (image instanceof ImageInput.Tensor tensor) {
          checkTensor(i, tensor);
        } else {
          FloatBuffer buffer = buffers.take();
          pooled.add(buffer);
          inputs[i] = buffer;
          schedule(i, image, buffer);
        }
      }
      finishOne();
      return done;
    }

    private void checkTensor(int index, ImageInput.Tensor tensor) {
      try {
        checkStillWanted(scope);
        long start = System.nanoTime();
        inputs[index] = preprocessor.checkedTensor(tensor);
        nanos[index] = System.nanoTime() - start;
        listener.preprocessed(nanos[index]);
      } catch (InvalidImageException e) {
        fail(new ImageRejectedException(index, e.getMessage(), e), Refusal.INVALID_IMAGE);
      } catch (SchedulingException e) {
        fail(e, refusalOf(e));
      }
    }

    private void schedule(int index, ImageInput image, FloatBuffer destination) {
      pending.incrementAndGet();
      try {
        preprocessPool.execute(() -> {
          try {
            preprocessOne(index, image, destination);
          } finally {
            finishOne();
          }
        });
      } catch (RejectedExecutionException e) {
        fail(new SchedulingException(SchedulingException.Reason.QUEUE_FULL,
            "the preprocessing queue is full; retry later"), Refusal.PREPROCESS_QUEUE_FULL);
        finishOne();
      }
    }

    private void preprocessOne(int index, ImageInput image, FloatBuffer destination) {
      if (failure.get() != null) {
        return;
      }
      try {
        checkStillWanted(scope);
        long start = System.nanoTime();
        preprocessor.preprocess(image, destination);
        destination.flip();
        nanos[index] = System.nanoTime() - start;
        listener.preprocessed(nanos[index]);
      } catch (InvalidImageException e) {
        fail(new ImageRejectedException(index, e.getMessage(), e), Refusal.INVALID_IMAGE);
      } catch (SchedulingException e) {
        fail(e, refusalOf(e));
      } catch (RuntimeException e) {
        fail(new ImageRejectedException(index, "cannot be preprocessed: " + e, e), Refusal.INVALID_IMAGE);
      }
    }

    private void fail(Throwable cause, Refusal refusal) {
      if (failure.compareAndSet(null, cause)) {
        listener.refused(refusal, images.size());
      }
    }

    /** The last task to finish completes the preparation; writes to the arrays happen before it. */
    private void finishOne() {
      if (pending.decrementAndGet() != 0) {
        return;
      }
      Throwable cause = failure.get();
      if (cause != null) {
        pooled.forEach(buffers::give);
        done.completeExceptionally(cause);
      } else {
        done.complete(new Prepared(Arrays.asList(inputs), nanos, pooled));
      }
    }
  }

  private static Refusal refusalOf(SchedulingException e) {
    return e.reason() == SchedulingException.Reason.CANCELLED ? Refusal.CANCELLED : Refusal.DEADLINE_EXPIRED;
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
          result.logits(),
          preprocessNanos[i],
          result.queueNanos(),
          result.inferenceNanos(),
          result.batchSize()));
    }
    return out;
  }
}
