package io.mobiserve.cli;

import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.engine.tensorrt.Precision;
import io.mobiserve.engine.tensorrt.TensorRtOptions;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.Backend;
import io.mobiserve.runtime.Fallback;
import io.mobiserve.runtime.RuntimeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * How the model runs: the backend and its GPU settings, engine instances and threads, and how images are
 * merged into engine batches. Shared by {@code serve} and {@code bench --in-process}, so that the in-process
 * ceiling runs exactly as the server does; {@code serve --config} files set the same options. The flags
 * become one {@link RuntimeConfig} ({@link #toConfig}), checked once.
 */
final class RuntimeOptions {
  /** Images waiting for a preprocessing thread before calls get RESOURCE_EXHAUSTED. */
  private static final int PREPROCESS_QUEUE = 1024;

  @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or tensorrt (default: ${DEFAULT-VALUE}).")
  Backend backend;

  @Option(names = "--precision", defaultValue = "auto", paramLabel = "auto|fp32|fp16", description = "TensorRT's precision; auto is fp16 where the GPU is fast at it (default: ${DEFAULT-VALUE}).")
  Precision precision;

  @Option(names = "--engine-cache", paramLabel = "DIR", description = "Where TensorRT engines are built once and reused (default: ~/.cache/mobiserve/engines).")
  Path engineCache;

  @Option(names = "--workspace-mb", defaultValue = "1024", description = "GPU memory TensorRT's builder may use, MiB (default: ${DEFAULT-VALUE}).")
  int workspaceMb;

  @Option(names = "--gpu", defaultValue = "0", paramLabel = "N", description = "The CUDA device to run on (default: ${DEFAULT-VALUE}).")
  int gpu;

  @Option(names = "--fallback", defaultValue = "cpu", paramLabel = "cpu|none", description = "When the GPU fails while serving: cpu runs the batch on ONNX Runtime at once and until the GPU recovers; none fails the batch (default: ${DEFAULT-VALUE}).")
  Fallback fallback;

  @Option(names = "--max-batch", defaultValue = "16", description = "Most images in one engine batch; 1 turns batching off (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-queue-delay-us", defaultValue = "0", description = "Longest an image waits for a fuller batch while an engine instance is free, µs; 0 sends at once, and batches still fill while every instance is busy (default: ${DEFAULT-VALUE}).")
  long maxQueueDelayMicros;

  @Option(names = "--preferred-batch", split = ",", paramLabel = "N[,N...]", description = "Batch sizes sent at once when reached, e.g. 4,8,16 (default: none).")
  List<Integer> preferredBatchSizes = List.of();

  @Option(names = "--max-queue", defaultValue = "1024", description = "Most images waiting for an engine; beyond it calls get RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
  int maxQueue;

  @Option(names = "--instances", defaultValue = "1", description = "Engine instances running batches concurrently (default: ${DEFAULT-VALUE}).")
  int instances;

  @Option(names = "--threads", description = "ONNX Runtime intra-op threads per instance (default: cores / instances).")
  Integer threads;

  @Option(names = "--ort-spinning", description = "ONNX Runtime's threads spin between operators instead of sleeping: faster for a lone engine, slower when the server's other threads need the cores (default: off).")
  boolean ortSpinning;

  @Option(names = "--memory-budget-mb", paramLabel = "MIB", description = "Most memory calls may make the server hold at once (their images, decode buffers, model inputs); beyond it calls get RESOURCE_EXHAUSTED before anything is decoded (default: a quarter of the smaller of the JVM's heap and direct-memory limits, 64 to 512 MiB).")
  Long memoryBudgetMb;

  /**
   * The runtime settings these flags ask for, each checked once here with a message naming its flag.
   *
   * @param cores the processors this process may use: the default threads follow from them
   * @param imageLimits the per-image limits (from the serve limits' flags)
   * @throws ConfigurationException naming the flag whose value cannot work
   */
  RuntimeConfig toConfig(int cores, ImageLimits imageLimits) {
    if (instances < 1) {
      throw new ConfigurationException("--instances must be at least 1, not " + instances);
    }
    if (maxBatch < 1) {
      throw new ConfigurationException("--max-batch must be at least 1, not " + maxBatch);
    }
    for (int size : preferredBatchSizes) {
      if (size < 1 || size > maxBatch) {
        throw new ConfigurationException("--preferred-batch " + size + " is outside 1..--max-batch " + maxBatch);
      }
    }
    if (maxQueueDelayMicros < 0 || maxQueueDelayMicros > 60_000_000L) {
      throw new ConfigurationException("--max-queue-delay-us must be from 0 to 60000000 (60 s), not " + maxQueueDelayMicros);
    }
    if (maxQueue < 1) {
      throw new ConfigurationException("--max-queue must be at least 1, not " + maxQueue);
    }
    if (backend == Backend.CPU && precision == Precision.FP16) {
      throw new ConfigurationException("--precision fp16 needs --backend tensorrt or auto: ONNX Runtime on the CPU runs fp32");
    }
    if (memoryBudgetMb != null && (memoryBudgetMb < 1 || memoryBudgetMb > (Long.MAX_VALUE >> 20))) {
      throw new ConfigurationException("--memory-budget-mb must be at least 1, not " + memoryBudgetMb);
    }
    try {
      RuntimeConfig.Builder builder = RuntimeConfig.builder();
      if (memoryBudgetMb != null) {
        builder.memoryBudgetBytes(memoryBudgetMb << 20);
      }
      return builder
          .backend(backend)
          .fallback(fallback)
          .tensorRt(tensorRtOptions())
          .cpu(new OrtEngineOptions(threadsPerInstance(cores), ortSpinning))
          .instances(instances)
          .maxBatch(maxBatch)
          .preferredBatchSizes(new TreeSet<>(preferredBatchSizes))
          .maxQueueDelay(Duration.ofNanos(TimeUnit.MICROSECONDS.toNanos(maxQueueDelayMicros)))
          .maxQueuedImages(maxQueue)
          .preprocessThreads(cores)
          .preprocessQueue(PREPROCESS_QUEUE)
          .imageLimits(imageLimits)
          .build();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  /** The TensorRT settings of the flags. */
  TensorRtOptions tensorRtOptions() {
    if (workspaceMb < 1) {
      throw new ConfigurationException("--workspace-mb must be at least 1, not " + workspaceMb);
    }
    if (gpu < 0) {
      throw new ConfigurationException("--gpu must be a CUDA device index, 0 or more, not " + gpu);
    }
    Path cache = engineCache != null ? engineCache : TensorRtOptions.defaultEngineCacheDir();
    if (Files.exists(cache) && !Files.isDirectory(cache)) {
      throw new ConfigurationException("--engine-cache " + cache + " is a file, not a folder");
    }
    return new TensorRtOptions(precision, cache, workspaceMb * (1L << 20), gpu);
  }

  /** Intra-op threads per engine instance: the flag, or the cores shared among the instances. */
  int threadsPerInstance(int cores) {
    if (threads != null) {
      if (threads < 1) {
        throw new ConfigurationException("--threads must be at least 1, not " + threads);
      }
      return threads;
    }
    return Math.max(1, cores / instances);
  }
}
