package io.mobiserve.bench;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.onnxruntime.BareOrtLoop;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * A bare ONNX Runtime loop ({@code bench --engine-only --bare}): each request is one {@code session.run}
 * over a tensor made once — the plainest Java code that runs the model, measured by the same harness as
 * the engine so that their ratio is the engine's overhead.
 */
public final class BareOrtTarget implements LoadTarget {
  private final BlockingQueue<BareOrtLoop> free;
  private final int batch;

  public BareOrtTarget(List<BareOrtLoop> loops) {
    this.free = new ArrayBlockingQueue<>(loops.size(), false, loops);
    this.batch = loops.get(0).batch();
  }

  @Override
  public CompletableFuture<Outcome> send(long sequence) {
    BareOrtLoop loop;
    try {
      loop = free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.completedFuture(Outcome.failure("CLIENT_ERROR", "interrupted"));
    }
    try {
      long start = System.nanoTime();
      loop.run();
      long end = System.nanoTime();
      long[] inference = new long[batch];
      Arrays.fill(inference, end - start);
      return CompletableFuture.completedFuture(Outcome.success(end, new long[batch], new long[batch], inference));
    } catch (EngineException | RuntimeException e) {
      return CompletableFuture.completedFuture(Outcome.failure("ENGINE_ERROR", String.valueOf(e.getMessage())));
    } finally {
      free.add(loop);
    }
  }

  @Override
  public String describe() {
    return "bare onnxruntime loop";
  }

  @Override
  public void close() {
    free.forEach(BareOrtLoop::close);
  }
}
