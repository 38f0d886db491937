package io.mobiserve.batching;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A fake engine whose logits for an image are {first value of the image, sum of its values, batch size},
 * so a test can tell which input each result came from. Each batch can be held until the test lets it
 * through, and the engine can be made to fail.
 */
final class EchoEngine implements InferenceEngine {
  final int maxBatch;
  final int imageSize;
  private final FloatBuffer input;
  /** The first value of each image of each batch, in the order the batches ran. */
  final List<List<Float>> batches = Collections.synchronizedList(new ArrayList<>());
  /** Released each time a batch enters {@link #run}. */
  final Semaphore entered = new Semaphore(0);
  private volatile Semaphore passes = new Semaphore(Integer.MAX_VALUE / 2);
  volatile RuntimeException failWith;
  volatile EngineException failWithChecked;
  volatile boolean closed;

  EchoEngine(int maxBatch, int imageSize) {
    this.maxBatch = maxBatch;
    this.imageSize = imageSize;
    this.input = FloatBuffer.allocate(maxBatch * imageSize);
  }

  /** Batches from now on wait in {@link #run} until {@link #pass} lets them through. */
  void hold() {
    passes = new Semaphore(0);
  }

  void pass(int batches) {
    passes.release(batches);
  }

  void open() {
    passes.release(Integer.MAX_VALUE / 2);
  }

  /** Waits until a batch has entered the engine (it may be held there). */
  void awaitEntered() throws InterruptedException {
    if (!entered.tryAcquire(10, TimeUnit.SECONDS)) {
      throw new AssertionError("no batch reached the engine");
    }
  }

  @Override
  public FloatBuffer input() {
    return input;
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    Semaphore gate = passes;
    entered.release();
    gate.acquireUninterruptibly();
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("a batch of " + batchSize + " for a max batch of " + maxBatch);
    }
    List<Float> firsts = new ArrayList<>();
    float[] logits = new float[batchSize * 3];
    for (int i = 0; i < batchSize; i++) {
      float first = input.get(i * imageSize);
      float sum = 0;
      for (int j = 0; j < imageSize; j++) {
        sum += input.get(i * imageSize + j);
      }
      firsts.add(first);
      logits[3 * i] = first;
      logits[3 * i + 1] = sum;
      logits[3 * i + 2] = batchSize;
    }
    batches.add(firsts);
    if (failWith != null) {
      throw failWith;
    }
    if (failWithChecked != null) {
      throw failWithChecked;
    }
    return new Logits(logits, batchSize, 3);
  }

  @Override
  public EngineInfo info() {
    return new EngineInfo("echo", "fp32");
  }

  @Override
  public void close() {
    closed = true;
  }
}
