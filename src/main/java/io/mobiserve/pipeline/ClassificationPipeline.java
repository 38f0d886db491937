package io.mobiserve.pipeline;

import io.mobiserve.batching.InferenceResult;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.InferenceWork;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.pipeline.PipelineListener.Refusal;
import io.mobiserve.preprocess.ClassScore;
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
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Classifies images, with no knowledge of gRPC: admit the request, preprocess each image on a bounded pool,
 * hand the images to the scheduler, turn logits into top-k classes off the engine threads.
 *
 * <p>Admission, before anything is decoded: each image's cost is read from its header (its bytes, the
 * decode and resize buffers, the model input it becomes) and reserved from the {@link MemoryBudget} — a
 * request that does not fit now is refused ({@code MEMORY_FULL}), one that could never fit is too large
 * ({@code TOO_LARGE}); and a request whose deadline the work queued ahead of it would miss, at the speed
 * measured so far, is refused at once ({@code OVERLOADED}, with when to retry) instead of being computed in
 * vain. The reservation is released deterministically: each image's decode buffers when its preprocessing
 * ends, the rest when the call has ended and the scheduler has let go of its images — whichever way the call
 * ends.
 *
 * <p>Memory: encoded and raw images are preprocessed into pooled direct buffers, which go back to the pool
 * when the scheduler lets go of them; a tensor is checked where it lies (in the request's bytes) and
 * copied once, by the scheduler, into the engine's memory.
 *
 * <p>Every call's future completes exactly once: with one {@link ImageClassification} per image in
 * order, or exceptionally with {@link ImageRejectedException} (a bad image, or one the model cannot compute
 * with), {@link SchedulingException} (over a limit, cancelled, expired, shutting down) or {@link
 * io.mobiserve.engine.EngineException}. Safe to call from any thread.
 */
public final class ClassificationPipeline {
  /** Preprocessed-image buffers kept for reuse: a few full batches' worth. */
  private static final int IDLE_IMAGE_BUFFERS = 64;
  /** Weight of the newest image in the moving average of preprocessing times. */
  private static final double WEIGHT = 0.1;

  private final ModelSpec model;
  private final ImagePreprocessor preprocessor;
  private final InferenceScheduler scheduler;
  private final PipelineExecutors executors;
  private final MemoryBudget budget;
  private final PipelineListener listener;
  private final ImageBufferPool buffers;
  private final long inputBytes;
  /** Encoded and raw images handed to the preprocessing pool and not finished yet. */
  private final AtomicInteger preprocessing = new AtomicInteger();
  /** Moving average of one image's preprocessing, for the admission estimate; 0 until measured. */
  private volatile double preprocessNanos;

  /**
   * @param budget what calls may hold at once; {@link MemoryBudget#unlimited()} to bound nothing
   * @param listener told each image's preprocessing time and each refusal
   */
  public ClassificationPipeline(ModelSpec model, ImagePreprocessor preprocessor, InferenceScheduler scheduler,
      PipelineExecutors executors, MemoryBudget budget, PipelineListener listener) {
    this.model = Objects.requireNonNull(model, "model");
    this.preprocessor = Objects.requireNonNull(preprocessor, "preprocessor");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.executors = Objects.requireNonNull(executors, "executors");
    this.budget = Objects.requireNonNull(budget, "budget");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.buffers = new ImageBufferPool(model.input().elementCount(), IDLE_IMAGE_BUFFERS);
    this.inputBytes = (long) model.input().elementCount() * Float.BYTES;
  }

  public ModelSpec model() {
    return model;
  }

  /** The budget calls reserve their memory from. */
  public MemoryBudget memoryBudget() {
    return budget;
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
    Admission admission;
    try {
      admission = admit(images, scope);
    } catch (ImageRejectedException e) {
      listener.refused(Refusal.INVALID_IMAGE, images.size());
      return CompletableFuture.failedFuture(e);
    } catch (SchedulingException e) {
      listener.refused(refusalOf(e), images.size());
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<List<ImageClassification>> result = new Preparation(images, scope, admission).start()
        .thenCompose(prepared -> submit(prepared, scope, admission)
            .thenApplyAsync(results -> postprocess(results, prepared.preprocessNanos(), topK),
                executors.postprocess()));
    result.whenComplete((classifications, failure) -> admission.end());
    return result;
  }

  /**
   * Decides whether the request may start: its images' headers are sound, its deadline can be met behind
   * the work already queued, and its memory fits the budget (reserved here).
   */
  private Admission admit(List<ImageInput> images, CallScope scope)
      throws ImageRejectedException, SchedulingException {
    long[] working = new long[images.size()];
    long total = 0;
    int toPreprocess = 0;
    for (int i = 0; i < images.size(); i++) {
      ImageInput image = images.get(i);
      try {
        working[i] = preprocessor.workingBytes(image);
      } catch (InvalidImageException e) {
        throw new ImageRejectedException(i, e.getMessage(), e);
      }
      boolean tensor = image instanceof ImageInput.Tensor;
      total += payloadBytes(image) + working[i] + (tensor ? 0 : inputBytes);
      toPreprocess += tensor ? 0 : 1;
    }
    checkStillWanted(scope);
    if (scope.deadlineNanos() != Long.MAX_VALUE) {
      long ahead =
          preprocessBacklogNanos(preprocessing.get(), toPreprocess) + scheduler.estimatedNanos(images.size());
      long left = scope.deadlineNanos() - System.nanoTime();
      long alone = preprocessBacklogNanos(0, toPreprocess) + scheduler.idleNanos(images.size());
      if (alone > left) {
        // Not overload: the request could not finish in time on an idle server either, so a retry with the
        // same deadline would fail again. DEADLINE_EXCEEDED says so; RESOURCE_EXHAUSTED would invite it.
        throw new SchedulingException(SchedulingException.Reason.DEADLINE_EXPIRED, "the deadline, in "
            + millis(left) + " ms, is shorter than this request takes on an idle server (about " + millis(alone)
            + " ms)");
      }
      if (ahead > left) {
        // Retry once the backlog ahead has drained, not just the part that missed the deadline: every refused
        // caller would otherwise come back within milliseconds into the same full queue, and the refusals'
        // traffic would take the cores the admitted work needs.
        throw new SchedulingException(SchedulingException.Reason.OVERLOADED, "the server cannot answer in time: "
            + "about " + millis(ahead) + " ms of work would come before this request's answer and its deadline is "
            + "in " + millis(left) + " ms; retry later or with a longer deadline", Math.max(1, millis(ahead - alone)));
      }
    }
    if (total > budget.limitBytes()) {
      throw new SchedulingException(SchedulingException.Reason.TOO_LARGE, "the request needs " + mebibytes(total)
          + " MiB of server memory, more than its whole memory budget of " + mebibytes(budget.limitBytes())
          + " MiB; send fewer or smaller images per request");
    }
    MemoryBudget.Reservation reservation = budget.tryReserve(total);
    if (reservation == null) {
      throw new SchedulingException(SchedulingException.Reason.MEMORY_FULL, "the server's memory budget is taken by "
          + "other calls (" + mebibytes(budget.usedBytes()) + " of " + mebibytes(budget.limitBytes()) + " MiB in use, "
          + mebibytes(total) + " MiB needed); retry later", Math.max(1, millis(scheduler.estimatedNanos(0))));
    }
    return new Admission(reservation, working);
  }

  /** The bytes an image holds as the client sent it (the request keeps them until the call ends). */
  private static long payloadBytes(ImageInput image) {
    if (image instanceof ImageInput.Encoded encoded) {
      return encoded.data().remaining();
    }
    if (image instanceof ImageInput.Raw raw) {
      return raw.pixels().remaining();
    }
    return ((ImageInput.Tensor) image).float32LittleEndian().remaining();
  }

  /**
   * How long {@code images} would wait for, and take in, the preprocessing pool behind {@code ahead} others,
   * at the measured speed.
   */
  private long preprocessBacklogNanos(int ahead, int images) {
    if (images == 0) {
      return 0;
    }
    return (long) ((ahead + images) * preprocessNanos / executors.preprocessThreads());
  }

  /**
   * One call's memory reservation: each image's decode buffers go back when its preprocessing ends; the rest
   * when both the call has ended and the scheduler has let go of its images (or they never reached it).
   */
  private static final class Admission {
    private final MemoryBudget.Reservation reservation;
    private final long[] workingBytes;
    private final AtomicInteger ends = new AtomicInteger(2);

    Admission(MemoryBudget.Reservation reservation, long[] workingBytes) {
      this.reservation = reservation;
      this.workingBytes = workingBytes;
    }

    /** Image {@code index}'s preprocessing has ended: its decode buffers are free. */
    void preprocessed(int index) {
      reservation.release(workingBytes[index]);
    }

    /** One of the two ends (the call's, its images'); the second releases the rest. */
    void end() {
      if (ends.decrementAndGet() == 0) {
        reservation.close();
      }
    }
  }

  /** Every image's model input, and the pooled buffers among them to give back once the scheduler is done. */
  private record Prepared(List<FloatBuffer> inputs, long[] preprocessNanos, List<FloatBuffer> pooled) {}

  private CompletableFuture<List<InferenceResult>> submit(Prepared prepared, CallScope scope, Admission admission) {
    Runnable release = () -> {
      prepared.pooled().forEach(buffers::give);
      admission.end();
    };
    InferenceWork work = new InferenceWork(prepared.inputs(), scope.deadlineNanos(), scope.cancelled(),
        scope.priority(), scope.source(), release);
    try {
      return scheduler.submit(work);
    } catch (RuntimeException | Error e) {
      release.run(); // not queued: the images are still ours
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
    private final Admission admission;
    private final FloatBuffer[] inputs;
    private final long[] nanos;
    private final List<FloatBuffer> pooled = new ArrayList<>();
    /** Tasks not yet finished, plus one for the caller's own work until it has handed out every task. */
    private final AtomicInteger pending = new AtomicInteger(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CompletableFuture<Prepared> done = new CompletableFuture<>();

    Preparation(List<ImageInput> images, CallScope scope, Admission admission) {
      this.images = images;
      this.scope = scope;
      this.admission = admission;
      this.inputs = new FloatBuffer[images.size()];
      this.nanos = new long[images.size()];
    }

    CompletableFuture<Prepared> start() {
      for (int i = 0; i < images.size() && failure.get() == null; i++) {
        ImageInput image = images.get(i);
        if (image instanceof ImageInput.Tensor tensor) {
          checkTensor(i, tensor);
        } else {
          FloatBuffer buffer;
          try {
            buffer = buffers.take();
          } catch (OutOfMemoryError e) { // direct memory beyond -XX:MaxDirectMemorySize
            fail(e, Refusal.MEMORY_FULL);
            break;
          }
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
      } catch (RuntimeException | Error e) {
        failUnexpectedly(index, e);
      }
    }

    private void schedule(int index, ImageInput image, FloatBuffer destination) {
      pending.incrementAndGet();
      preprocessing.incrementAndGet();
      try {
        executors.preprocess().execute(() -> {
          try {
            preprocessOne(index, image, destination);
          } finally {
            imageDone(index);
          }
        });
      } catch (RejectedExecutionException e) {
        fail(new SchedulingException(SchedulingException.Reason.QUEUE_FULL,
            "the preprocessing queue is full; retry later"), Refusal.PREPROCESS_QUEUE_FULL);
        imageDone(index);
      } catch (Error e) { // e.g. no memory for another pool thread: the task never ran
        fail(e, Refusal.MEMORY_FULL);
        imageDone(index);
      }
    }

    private void imageDone(int index) {
      preprocessing.decrementAndGet();
      admission.preprocessed(index);
      finishOne();
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
        double average = preprocessNanos;
        preprocessNanos = average == 0 ? nanos[index] : average + WEIGHT * (nanos[index] - average);
        listener.preprocessed(nanos[index]);
      } catch (InvalidImageException e) {
        fail(new ImageRejectedException(index, e.getMessage(), e), Refusal.INVALID_IMAGE);
      } catch (SchedulingException e) {
        fail(e, refusalOf(e));
      } catch (RuntimeException | Error e) {
        failUnexpectedly(index, e);
      }
    }

    /**
     * A failure no check foresaw. Running out of memory is the server's transient state (a retry may
     * succeed); an exception is blamed on the image, the only input that differs between calls; any other
     * error is the server's own, answered as such and counted as no refusal.
     */
    private void failUnexpectedly(int index, Throwable e) {
      if (e instanceof OutOfMemoryError) {
        fail(e, Refusal.MEMORY_FULL);
      } else if (e instanceof Error) {
        failure.compareAndSet(null, e);
      } else {
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
        admission.end(); // the images will never reach the scheduler
        done.completeExceptionally(cause);
      } else {
        done.complete(new Prepared(Arrays.asList(inputs), nanos, pooled));
      }
    }
  }

  private static Refusal refusalOf(SchedulingException e) {
    return switch (e.reason()) {
      case CANCELLED -> Refusal.CANCELLED;
      case MEMORY_FULL -> Refusal.MEMORY_FULL;
      case OVERLOADED -> Refusal.OVERLOADED;
      case TOO_LARGE -> Refusal.TOO_LARGE;
      case QUEUE_FULL -> Refusal.PREPROCESS_QUEUE_FULL;
      case DEADLINE_EXPIRED, SHUT_DOWN -> Refusal.DEADLINE_EXPIRED;
    };
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static long mebibytes(long bytes) {
    return (bytes + (1 << 20) - 1) >> 20;
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

  /**
   * The image's top classes. Logits that are not finite come from an input the model cannot compute with
   * (a tensor of 1e38 overflows the first convolution): that is the image's fault, and says so.
   */
  private List<ClassScore> topClasses(int index, float[] logits, int topK) {
    for (int k = 0; k < logits.length; k++) {
      if (!Float.isFinite(logits[k])) {
        throw new CompletionException(new ImageRejectedException(index, "the model's output for this image is "
            + "not finite (logit " + k + " is " + logits[k] + "): its values are beyond what the model can compute "
            + "with; check the input's preprocessing (ModelInfo.preprocessing)", null));
      }
    }
    try {
      return TopK.of(logits, topK, model.labels());
    } catch (RuntimeException e) {
      throw new CompletionException(new ImageRejectedException(index, "cannot be postprocessed: " + e, e));
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
          topClasses(i, result.logits(), topK),
          result.logits(),
          preprocessNanos[i],
          result.queueNanos(),
          result.inferenceNanos(),
          result.batchSize()));
    }
    return out;
  }
}
