package io.mobiserve.cli;

import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.server.ModelRuntime;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * How the model runs: engine instances and threads, and how images are merged into engine batches. Shared
 * by {@code serve} and {@code bench --in-process}, so that the in-process ceiling runs exactly as the
 * server does.
 */
final class RuntimeOptions {
  /** Images waiting for a preprocessing thread before calls get RESOURCE_EXHAUSTED. */
  private static final int PREPROCESS_QUEUE = 1024;

  @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or tensorrt (default: ${DEFAULT-VALUE}).")
  Backend backend;

  @Option(names = "--max-batch", defaultValue = "16", description = "Most images in one engine batch; 1 turns batching off (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-queue-delay-us", defaultValue = "1000", description = "Longest an image waits for a fuller batch, µs; 0 never waits (default: ${DEFAULT-VALUE}).")
  long maxQueueDelayMicros;

  @Option(names = "--preferred-batch", split = ",", paramLabel = "N[,N...]", description = "Batch sizes sent at once when reached, e.g. 4,8,16 (default: none).")
  List<Integer> preferredBatchSizes = List.of();

  @Option(names = "--max-queue", defaultValue = "1024", description = "Most images waiting for an engine; beyond it calls get RESOURCE_EXHAUSTED (default: ${DEFAULT-VALUE}).")
  int maxQueue;

  @Option(names = "--instances", defaultValue = "1", description = "Engine instances running batches concurrently (default: ${DEFAULT-VALUE}).")
  int instances;

  @Option(names = "--threads", description = "ONNX Runtime intra-op threads per instance (default: cores / instances).")
  Integer threads;

  /** @throws ConfigurationException naming the flag whose value cannot work */
  BatchingConfig toConfig() {
    if (instances < 1) {
      throw new ConfigurationException("--instances must be at least 1, not " + instances);
    }
    try {
      return BatchingConfig.defaults()
          .withMaxBatch(maxBatch)
          .withPreferredBatchSizes(new TreeSet<>(preferredBatchSizes))
          .withMaxQueueDelayNanos(TimeUnit.MICROSECONDS.toNanos(maxQueueDelayMicros))
          .withMaxQueuedImages(maxQueue);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("batching: " + e.getMessage(), e);
    }
  }

  /** The engine for {@code --backend}, with these settings, and why it was chosen. */
  BackendSelection backendSelection(int cores) {
    return BackendSelection.choose(backend, engineOptions(cores));
  }

  /** The engine settings: threads per instance, and the max batch. */
  OrtEngineOptions engineOptions(int cores) {
    return new OrtEngineOptions(threadsPerInstance(cores), toConfig().maxBatch());
  }

  /** The runtime settings: instances, a preprocessing thread per core, batching. */
  ModelRuntime.Options runtimeOptions(int cores, ImageLimits imageLimits) {
    return new ModelRuntime.Options(instances, cores, PREPROCESS_QUEUE, imageLimits, toConfig());
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
