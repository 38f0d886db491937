package io.mobiserve.batching;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs formed batches on one engine instance: assembles the batch's input (copying each image into the
 * instance's buffer, unless the batch is one contiguous run of one work), runs the engine, hands each image
 * its logits. Used by one thread at a time (the instance's worker), which is
 * what lets it own one reusable buffer.
 */
final class BatchRunner {
  private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);

  private final int instance;
  private final InferenceEngine engine;
  private final int imageSize;
  private final LongSupplier clock;
  private final SchedulerListener listener;
  /** One contiguous NCHW batch, allocated once at max batch: direct and native-order so engines read it in place. */
  private final FloatBuffer input;

  BatchRunner(int instance, InferenceEngine engine, int imageSize, int maxBatch, LongSupplier clock,
      SchedulerListener listener) {
    this.instance = instance;
    this.engine = engine;
    this.imageSize = imageSize;
    this.clock = clock;
    this.listener = listener;
    this.input = ByteBuffer.allocateDirect(Math.multiplyExact(maxBatch, imageSize) * Float.BYTES)
        .order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  /**
   * Runs {@code batch} and answers each of its images, or fails each of its jobs once when the engine
   * fails.
   *
   * @return the jobs this batch failed (empty on success), so that their other queued images can leave the
   *     queue
   */
  List<Job> run(List<ImageRef> batch) {
    int size = batch.size();
    long startNanos = clock.getAsLong();
    for (ImageRef ref : batch) {
      listener.dequeued(ref.job().work.priority(), startNanos - ref.job().submittedNanos);
    }
    FloatBuffer batchInput = assemble(batch);

    Logits logits = null;
    EngineException failure = null;
    try {
      logits = engine.infer(batchInput, size);
      if (logits.batchSize() != size) {
        failure = new EngineException(engine.info().backend() + " answered " + logits.batchSize()
            + " images of a batch of " + size);
      }
    } catch (EngineException e) {
      failure = e;
    } catch (RuntimeException | Error e) {
      // Whatever the engine throws, every image of the batch still gets its answer and the worker lives on.
      failure = new EngineException(engine.info().backend() + ": inference failed: " + e, e);
    }
    long inferenceNanos = clock.getAsLong() - startNanos;
    listener.batchExecuted(instance, size, inferenceNanos, failure != null);

    if (failure != null) {
      log.error("instance {}: a batch of {} images failed: {}", instance, size, failure.getMessage(), failure);
      return failAll(batch, failure);
    }
    for (int i = 0; i < size; i++) {
      ImageRef ref = batch.get(i);
      ref.job().answer(ref.index(),
          new InferenceResult(logits.row(i), startNanos - ref.job().submittedNanos, inferenceNanos, size));
    }
    return List.of();
  }

  /**
   * The batch as one NCHW buffer. When it is a run of consecutive images of one work (a work alone, or max
   * batch 1) and that work's buffer is direct, the engine reads the work's own buffer: no copy. Otherwise
   * the images are copied into this instance's buffer.
   */
  private FloatBuffer assemble(List<ImageRef> batch) {
    int size = batch.size();
    ImageRef first = batch.get(0);
    FloatBuffer source = first.job().work.input();
    if (source.isDirect() && source.order() == ByteOrder.nativeOrder() && fromOneJob(batch)) {
      // A job's images join a batch in ascending order, one after the other: this is a contiguous run.
      int from = first.job().base + first.index() * imageSize;
      return source.duplicate().limit(from + size * imageSize).position(from).slice();
    }
    input.clear();
    for (int i = 0; i < size; i++) {
      ImageRef ref = batch.get(i);
      // Absolute bulk put: a memory copy between direct buffers; the work's buffer is not moved.
      input.put(i * imageSize, ref.job().work.input(), ref.job().base + ref.index() * imageSize, imageSize);
    }
    return input.limit(size * imageSize);
  }

  private static boolean fromOneJob(List<ImageRef> batch) {
    Job job = batch.get(0).job();
    for (int i = 1; i < batch.size(); i++) {
      if (batch.get(i).job() != job) {
        return false;
      }
    }
    return true;
  }

  private static List<Job> failAll(List<ImageRef> batch, EngineException failure) {
    Map<Job, Boolean> jobs = new IdentityHashMap<>();
    for (ImageRef ref : batch) {
      jobs.put(ref.job(), Boolean.TRUE);
    }
    List<Job> failed = new ArrayList<>(jobs.keySet());
    failed.forEach(job -> job.fail(failure));
    return failed;
  }
}
