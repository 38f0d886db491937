package io.mobiserve.runtime;

import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.engine.tensorrt.Precision;
import io.mobiserve.engine.tensorrt.TensorRtOptions;
import io.mobiserve.pipeline.MemoryBudget;
import io.mobiserve.preprocess.ImageLimits;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Every setting of a served model's runtime, in one place: which engine and its options, how many
 * instances, how images are batched, how many preprocessing threads. Each setting is held once; {@link
 * ModelRuntime} derives what follows from them (the effective max batch, the batcher's configuration) once,
 * when it starts. Immutable; validated at construction with messages that name the bad value. Build one
 * with {@link #builder()}.
 *
 * @param backend which engine to run
 * @param fallback what answers when the GPU engine fails while serving
 * @param tensorRt the GPU engine's options (its device index is the GPU the backend choice probes)
 * @param cpu the CPU engine's options
 * @param instances engine instances running batches at the same time
 * @param maxBatch the most images in one engine batch, as requested; a model with a smaller fixed batch
 *     lowers it
 * @param preferredBatchSizes batch sizes sent at once when reached (each from 1 to {@code maxBatch})
 * @param maxQueueDelay how long the oldest queued image may wait for a fuller batch
 * @param maxQueuedImages the most images waiting for an engine
 * @param preprocessThreads threads decoding and resizing images
 * @param preprocessQueue the most images waiting for a preprocessing thread
 * @param imageLimits per-image limits the preprocessor enforces
 * @param memoryBudgetBytes the most bytes calls may make the server hold at once (see {@link
 *     io.mobiserve.pipeline.MemoryBudget})
 */
public record RuntimeConfig(
    Backend backend,
    Fallback fallback,
    TensorRtOptions tensorRt,
    OrtEngineOptions cpu,
    int instances,
    int maxBatch,
    SortedSet<Integer> preferredBatchSizes,
    Duration maxQueueDelay,
    int maxQueuedImages,
    int preprocessThreads,
    int preprocessQueue,
    ImageLimits imageLimits,
    long memoryBudgetBytes) {

  /** A longer batch delay is a mistake (seconds for micros); the batcher refuses it too. */
  private static final Duration LONGEST_QUEUE_DELAY = Duration.ofMinutes(1);

  public RuntimeConfig {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(fallback, "fallback");
    Objects.requireNonNull(tensorRt, "tensorRt");
    Objects.requireNonNull(cpu, "cpu");
    Objects.requireNonNull(maxQueueDelay, "maxQueueDelay");
    Objects.requireNonNull(imageLimits, "imageLimits");
    requireAtLeastOne(instances, "instances");
    requireAtLeastOne(maxBatch, "max batch");
    preferredBatchSizes = Collections.unmodifiableSortedSet(new TreeSet<>(preferredBatchSizes));
    for (int size : preferredBatchSizes) {
      if (size < 1 || size > maxBatch) {
        throw new IllegalArgumentException("preferred batch size " + size + " is outside 1..max batch " + maxBatch);
      }
    }
    if (maxQueueDelay.isNegative() || maxQueueDelay.compareTo(LONGEST_QUEUE_DELAY) > 0) {
      throw new IllegalArgumentException("max queue delay must be from 0 to 60 s, not " + maxQueueDelay);
    }
    requireAtLeastOne(maxQueuedImages, "max queued images");
    requireAtLeastOne(preprocessThreads, "preprocess threads");
    requireAtLeastOne(preprocessQueue, "preprocess queue");
    if (memoryBudgetBytes < 1) {
      throw new IllegalArgumentException("memory budget must be positive, not " + memoryBudgetBytes + " bytes");
    }
    if (backend == Backend.CPU && tensorRt.precision() == Precision.FP16) {
      throw new IllegalArgumentException("fp16 needs the tensorrt or auto backend: ONNX Runtime on the CPU runs fp32");
    }
  }

  private static void requireAtLeastOne(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, not " + value);
    }
  }

  /** A builder with the server's defaults (see {@link Builder}). */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this configuration's settings. */
  public Builder toBuilder() {
    Builder builder = new Builder();
    builder.backend = backend;
    builder.fallback = fallback;
    builder.tensorRt = tensorRt;
    builder.cpu = cpu;
    builder.instances = instances;
    builder.maxBatch = maxBatch;
    builder.preferredBatchSizes = preferredBatchSizes;
    builder.maxQueueDelay = maxQueueDelay;
    builder.maxQueuedImages = maxQueuedImages;
    builder.preprocessThreads = preprocessThreads;
    builder.preprocessQueue = preprocessQueue;
    builder.imageLimits = imageLimits;
    builder.memoryBudgetBytes = memoryBudgetBytes;
    return builder;
  }

  /**
   * Builds a {@link RuntimeConfig}. Defaults: backend auto with the CPU fallback; TensorRT with automatic
   * precision, the user's engine cache, 1 GiB of workspace, GPU 0; ONNX Runtime with a thread per core;
   * one instance; max batch 16, no preferred sizes, no queue delay (a batch leaves as soon as an instance is
   * free: under load it fills while every instance is busy), 1024 queued images; a
   * preprocessing thread per core and 1024 images waiting for one; the default image limits; the memory
   * budget {@link io.mobiserve.pipeline.MemoryBudget#defaultLimitBytes()} derives from the JVM's limits.
   */
  public static final class Builder {
    private Backend backend = Backend.AUTO;
    private Fallback fallback = Fallback.CPU;
    private TensorRtOptions tensorRt = new TensorRtOptions(
        Precision.AUTO, TensorRtOptions.defaultEngineCacheDir(), TensorRtOptions.DEFAULT_WORKSPACE_BYTES, 0);
    private OrtEngineOptions cpu = OrtEngineOptions.defaults();
    private int instances = 1;
    private int maxBatch = 16;
    private SortedSet<Integer> preferredBatchSizes = new TreeSet<>();
    private Duration maxQueueDelay = Duration.ZERO;
    private int maxQueuedImages = 1024;
    private int preprocessThreads = Runtime.getRuntime().availableProcessors();
    private int preprocessQueue = 1024;
    private ImageLimits imageLimits = ImageLimits.DEFAULT;
    private long memoryBudgetBytes = MemoryBudget.defaultLimitBytes();

    private Builder() {}

    public Builder backend(Backend value) {
      backend = value;
      return this;
    }

    public Builder fallback(Fallback value) {
      fallback = value;
      return this;
    }

    public Builder tensorRt(TensorRtOptions value) {
      tensorRt = value;
      return this;
    }

    public Builder cpu(OrtEngineOptions value) {
      cpu = value;
      return this;
    }

    public Builder instances(int value) {
      instances = value;
      return this;
    }

    public Builder maxBatch(int value) {
      maxBatch = value;
      return this;
    }

    public Builder preferredBatchSizes(SortedSet<Integer> value) {
      preferredBatchSizes = value;
      return this;
    }

    public Builder maxQueueDelay(Duration value) {
      maxQueueDelay = value;
      return this;
    }

    public Builder maxQueuedImages(int value) {
      maxQueuedImages = value;
      return this;
    }

    public Builder preprocessThreads(int value) {
      preprocessThreads = value;
      return this;
    }

    public Builder preprocessQueue(int value) {
      preprocessQueue = value;
      return this;
    }

    public Builder imageLimits(ImageLimits value) {
      imageLimits = value;
      return this;
    }

    public Builder memoryBudgetBytes(long value) {
      memoryBudgetBytes = value;
      return this;
    }

    /** @throws IllegalArgumentException naming the first setting that cannot work */
    public RuntimeConfig build() {
      return new RuntimeConfig(backend, fallback, tensorRt, cpu, instances, maxBatch, preferredBatchSizes,
          maxQueueDelay, maxQueuedImages, preprocessThreads, preprocessQueue, imageLimits, memoryBudgetBytes);
    }
  }
}
