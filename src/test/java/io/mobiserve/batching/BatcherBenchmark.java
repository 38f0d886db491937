package io.mobiserve.batching;

import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * The batcher's own cost per image: every producer thread submits one image and waits for its answer, in
 * front of one engine that does nothing. Throughput is images per second over all threads, so the batcher
 * overhead per image is 1 / throughput (all of it: admission, batch formation, the copy into the batch
 * buffer, hand-offs between threads, completing futures). Run with
 * {@code scripts/jmh.sh BatcherBenchmark -f 1 -wi 3 -i 5 -w 1s -r 2s -t 64}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(64)
public class BatcherBenchmark {

  /** Has its own direct input memory, like a real engine, and returns zero logits at once. */
  static final class NoOpEngine implements InferenceEngine {
    private final FloatBuffer input;

    NoOpEngine(int maxBatch, int imageSize) {
      input = ByteBuffer.allocateDirect(maxBatch * imageSize * Float.BYTES).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
    }

    @Override
    public FloatBuffer input() {
      return input;
    }

    @Override
    public Logits run(int batchSize) {
      return new Logits(new float[batchSize * 10], batchSize, 10);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo("no-op", "fp32");
    }

    @Override
    public void close() {}
  }

  @State(Scope.Benchmark)
  public static class Batcher {
    /** 3×64×64 (the digits fixture) and 3×224×224 (MobileNetV3 at ImageNet size). */
    @Param({"12288", "150528"})
    int imageSize;

    @Param({"16", "1"})
    int maxBatch;

    DynamicBatcher batcher;

    @Setup(Level.Trial)
    public void start() {
      batcher = new DynamicBatcher(List.of(new NoOpEngine(maxBatch, imageSize)), imageSize,
          BatchingConfig.defaults().withMaxBatch(maxBatch), SchedulerListener.NONE, System::nanoTime);
    }

    @TearDown(Level.Trial)
    public void stop() {
      batcher.close();
    }
  }

  @State(Scope.Thread)
  public static class Producer {
    FloatBuffer image;

    @Setup(Level.Trial)
    public void prepare(Batcher batcher) {
      image = ByteBuffer.allocateDirect(batcher.imageSize * Float.BYTES).order(ByteOrder.nativeOrder())
          .asFloatBuffer();
    }
  }

  @Benchmark
  public List<InferenceResult> submitOneImageAndWait(Batcher batcher, Producer producer) {
    return batcher.batcher.submit(new InferenceWork(List.of(producer.image), Long.MAX_VALUE, () -> false,
        Priority.BULK, Thread.currentThread().getName())).join();
  }
}
