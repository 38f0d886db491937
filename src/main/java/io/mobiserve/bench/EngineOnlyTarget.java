package io.mobiserve.bench;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.onnxruntime.BareOrtLoop;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * An engine alone ({@code bench --engine-only}): each request runs one batch on a free instance, on the
 * calling thread — no batcher, no preprocessing, no gRPC. Either mobiserve's engine, whose input memory is
 * filled once at the start as a bare loop's tensor is (the copy of each image into it is the batcher's work,
 * counted in the in-process figures), or a bare ONNX Runtime loop ({@code --bare}). What a runtime is
 * compared with: the share of the engine's own speed it keeps.
 */
public final class EngineOnlyTarget implements LoadTarget {

  /** One instance's batch, run once per request. */
  @FunctionalInterface
  private interface BatchRun {
    void run() throws EngineException;
  }

  private final BlockingQueue<BatchRun> free;
  private final int batch;
  private final String description;
  private final Runnable closer;

  private EngineOnlyTarget(List<BatchRun> runs, int batch, String description, Runnable closer) {
    this.free = new ArrayBlockingQueue<>(runs.size(), false, runs);
    this.batch = batch;
    this.description = description;
    this.closer = closer;
  }

  /**
   * mobiserve's engine instances, each with {@code batch} images of {@code tensors} (float32 little-endian
   * CHW) in its input. The engines stay their owner's to close.
   */
  public static EngineOnlyTarget ofEngines(List<InferenceEngine> engines, List<BenchImage.Tensor> tensors, int batch) {
    List<FloatBuffer> images = tensors.stream()
        .map(t -> ByteBuffer.wrap(t.float32LittleEndian()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer())
        .toList();
    int imageFloats = images.get(0).remaining();
    for (InferenceEngine engine : engines) {
      for (int i = 0; i < batch; i++) {
        engine.input().put(i * imageFloats, images.get(i % images.size()), 0, imageFloats);
      }
    }
    List<BatchRun> runs = engines.stream().<BatchRun>map(engine -> () -> engine.run(batch)).toList();
    return new EngineOnlyTarget(runs, batch, "engine-only", () -> {});
  }

  /** Bare ONNX Runtime loops, closed with this target. */
  public static EngineOnlyTarget ofBareLoops(List<BareOrtLoop> loops) {
    List<BatchRun> runs = loops.stream().<BatchRun>map(loop -> loop::run).toList();
    return new EngineOnlyTarget(runs, loops.get(0).batch(), "bare onnxruntime loop",
        () -> loops.forEach(BareOrtLoop::close));
  }

  @Override
  public CompletableFuture<Outcome> send(long sequence) {
    BatchRun run;
    try {
      run = free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.completedFuture(Outcome.failure("CLIENT_ERROR", "interrupted"));
    }
    try {
      long start = System.nanoTime();
      run.run();
      long end = System.nanoTime();
      long[] inference = new long[batch];
      Arrays.fill(inference, end - start);
      return CompletableFuture.completedFuture(Outcome.success(end, new long[batch], new long[batch], inference));
    } catch (EngineException | RuntimeException e) {
      return CompletableFuture.completedFuture(Outcome.failure("ENGINE_ERROR", String.valueOf(e.getMessage())));
    } finally {
      free.add(run);
    }
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public void close() {
    closer.run();
  }
}
