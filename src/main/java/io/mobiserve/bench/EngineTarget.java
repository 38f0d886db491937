package io.mobiserve.bench;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The engine alone ({@code bench --engine-only}): each request is one batch of {@code batch} images,
 * copied into a free engine instance's own memory and run on the calling thread — no batcher, no
 * preprocessing, no gRPC. What a runtime is compared with: the share of the engine's own speed it keeps.
 */
public final class EngineTarget implements LoadTarget {
  private final BlockingQueue<InferenceEngine> free;
  private final List<FloatBuffer> images;
  private final int batch;
  private final int imageFloats;

  /**
   * @param engines the instances, used one request at a time each
   * @param tensors the model inputs to cycle through, each one image's float32 little-endian CHW bytes
   * @param batch images per run
   */
  public EngineTarget(List<InferenceEngine> engines, List<BenchImage.Tensor> tensors, int batch) {
    this.free = new ArrayBlockingQueue<>(engines.size(), false, engines);
    this.images = tensors.stream()
        .map(t -> ByteBuffer.wrap(t.float32LittleEndian()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer())
        .toList();
    this.batch = batch;
    this.imageFloats = images.get(0).remaining();
  }

  @Override
  public CompletableFuture<Outcome> send(long sequence) {
    InferenceEngine engine;
    try {
      engine = free.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return CompletableFuture.completedFuture(Outcome.failure("CLIENT_ERROR", "interrupted"));
    }
    try {
      FloatBuffer input = engine.input();
      for (int i = 0; i < batch; i++) {
        FloatBuffer image = images.get((int) Math.floorMod(sequence * batch + i, (long) images.size()));
        input.put(i * imageFloats, image, 0, imageFloats);
      }
      long start = System.nanoTime();
      engine.run(batch);
      long end = System.nanoTime();
      long[] inference = new long[batch];
      Arrays.fill(inference, end - start);
      return CompletableFuture.completedFuture(Outcome.success(end, new long[batch], new long[batch], inference));
    } catch (EngineException | RuntimeException e) {
      return CompletableFuture.completedFuture(Outcome.failure("ENGINE_ERROR", String.valueOf(e.getMessage())));
    } finally {
      free.add(engine);
    }
  }

  @Override
  public String describe() {
    return "engine-only";
  }

  @Override
  public void close() {
    // The engines belong to whoever created them.
  }
}
