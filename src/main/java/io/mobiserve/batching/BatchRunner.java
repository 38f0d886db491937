package io.mobiserve.batching;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs formed batches on one engine instance: copies each image once into the engine's own input memory,
 * lets go of the works' images, runs the engine, hands each image its logits. Used by one thread at a time
 * (the instance's worker).
 */
final class BatchRunner {
  private static final Logger log = LoggerFactory.getLogger(BatchRunner.class);

  private final int instance;
  private final InferenceEngine engine;
  private final int imageSize;
  private final LongSupplier clock;
  private final SchedulerListener listener;
  private final ServiceTime serviceTime;

  BatchRunner(int instance, InferenceEngine engine, int imageSize, LongSupplier clock, SchedulerListener listener,
      ServiceTime serviceTime) {
    this.instance = instance;
    this.engine = engine;
    this.imageSize = imageSize;
    this.clock = clock;
    this.listener = listener;
    this.serviceTime = serviceTime;
  }

  /**
   * Runs {@code batch} and answers each of its images, or fails each of its works once when the engine
   * fails.
   *
   * @param batch the slots, whose works the batcher has {@link AdmittedWork#retain retained} once each
   * @return the works this batch failed (empty on success), so that their other queued images can leave the
   *     queue
   */
  List<AdmittedWork> run(List<BatchSlot> batch) {
    int size = batch.size();
    long startNanos = clock.getAsLong();
    for (BatchSlot slot : batch) {
      listener.dequeued(slot.work().work.priority(), startNanos - slot.work().submittedNanos);
    }
    Set<AdmittedWork> works = worksOf(batch);
    Logits logits = null;
    EngineException failure = null;
    try {
      try {
        assemble(batch);
      } finally {
        works.forEach(AdmittedWork::release); // their images are in the engine's memory now, or never will be
      }
      logits = engine.run(size);
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
      List<AdmittedWork> failed = new ArrayList<>(works);
      EngineException cause = failure;
      failed.forEach(work -> work.fail(cause));
      return failed;
    }
    serviceTime.record(size, inferenceNanos);
    int discarded = 0;
    for (int i = 0; i < size; i++) {
      BatchSlot slot = batch.get(i);
      if (!slot.work().answer(slot.index(),
          new InferenceResult(logits.row(i), startNanos - slot.work().submittedNanos, inferenceNanos, size))) {
        discarded++;
      }
    }
    if (discarded > 0) {
      listener.discarded(discarded);
    }
    return List.of();
  }

  /** Copies each image into the engine's input, image {@code i} at float {@code i × imageSize}. */
  private void assemble(List<BatchSlot> batch) {
    FloatBuffer input = engine.input();
    for (int i = 0; i < batch.size(); i++) {
      FloatBuffer image = batch.get(i).image();
      if (image.remaining() != imageSize) {
        throw new IllegalStateException("an image of " + image.remaining() + " floats in a batch of " + imageSize
            + "-float images");
      }
      // Absolute bulk put: one memory copy (with a byte swap only if the orders differ); nothing moves.
      input.put(i * imageSize, image, image.position(), imageSize);
    }
  }

  private static Set<AdmittedWork> worksOf(List<BatchSlot> batch) {
    Set<AdmittedWork> works = Collections.newSetFromMap(new IdentityHashMap<>());
    for (BatchSlot slot : batch) {
      works.add(slot.work());
    }
    return works;
  }
}
