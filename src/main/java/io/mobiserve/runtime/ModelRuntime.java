package io.mobiserve.runtime;

import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.batching.DynamicBatcher;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.pipeline.MemoryBudget;
import io.mobiserve.pipeline.PipelineExecutors;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model being served, assembled from its spec and a {@link RuntimeConfig}: the engine instances (the
 * chosen backend, with its failover), the dynamic batcher in front of them, the preprocessing and
 * postprocessing pools, and the pipeline over them. The one place that builds these; {@code serve} and
 * {@code bench --in-process} both start here.
 *
 * <p>The batch sizes are decided once, at start ({@link BatchSizes#decide}), before any engine exists, and
 * handed to the engines and the batcher alike.
 *
 * <p>Owns everything it built and frees it in {@link #close()}. Thread-safe.
 */
public final class ModelRuntime implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelRuntime.class);
  /** Unary images that have waited this long go ahead of newer live frames, so bulk work never starves. */
  private static final long AGING_BOUND_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** Threads turning logits into top-k classes: softmax over the classes is light work. */
  private static final int POSTPROCESS_THREADS = 2;

  private final ModelSpec model;
  private final BackendChoice backend;
  private final EngineInfo engineInfo;
  private final BatchingConfig batching;
  private final InferenceScheduler scheduler;
  private final ExecutorService preprocessPool;
  private final ExecutorService postprocessPool;
  private final ClassificationPipeline pipeline;
  private final MemoryBudget memoryBudget;

  private ModelRuntime(ModelSpec model, RuntimeConfig config, BackendChoice backend, List<InferenceEngine> engines,
      BatchingConfig batching, RuntimeListener listener) {
    this.model = model;
    this.backend = backend;
    this.engineInfo = engines.get(0).info();
    this.batching = batching;
    this.scheduler = new DynamicBatcher(engines, model.input().elementCount(), batching, listener, System::nanoTime);
    this.preprocessPool = new ThreadPoolExecutor(
        config.preprocessThreads(), config.preprocessThreads(), 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(config.preprocessQueue()), DaemonThreads.named("preprocess"),
        new ThreadPoolExecutor.AbortPolicy());
    this.postprocessPool = Executors.newFixedThreadPool(POSTPROCESS_THREADS, DaemonThreads.named("postprocess"));
    this.memoryBudget = new MemoryBudget(config.memoryBudgetBytes());
    this.pipeline = new ClassificationPipeline(
        model,
        new OpenCvImagePreprocessor(model.input(), model.preprocessing(), config.imageLimits()),
        scheduler,
        new PipelineExecutors(preprocessPool, config.preprocessThreads(),
            new InlineWhenIdle(postprocessPool, () -> scheduler.queuedImages() == 0)),
        memoryBudget,
        listener);
    listener.backendChosen(engineInfo.backend(), backend.reason());
    listener.modelLoaded(model.name(), engineInfo, gauges());
    backend.health().watch(listener);
  }

  /**
   * Chooses the backend {@code config} asks for and starts everything.
   *
   * @throws BackendUnavailableException when {@code tensorrt} is asked for and cannot run here
   * @throws EngineException when the engines cannot start
   */
  public static ModelRuntime start(ModelSpec model, RuntimeConfig config, RuntimeListener listener)
      throws EngineException {
    return start(model, config, BackendChoice.choose(config), listener);
  }

  /**
   * Starts {@code backend}'s engines and everything around them. Under {@code auto}, a TensorRT engine that
   * passed the probe but cannot be built or loaded (a model the ONNX parser refuses, a GPU out of memory)
   * gives way to the CPU, with that failure as the reason ({@link #backend()}); otherwise a failure stops.
   *
   * @throws EngineException when the engines cannot start
   */
  public static ModelRuntime start(ModelSpec model, RuntimeConfig config, BackendChoice backend,
      RuntimeListener listener) throws EngineException {
    EngineSet engines = EngineSet.open(model, config, backend);
    BatchSizes batches = engines.batches();
    BatchingConfig batching = batchingConfig(config, batches);
    log.info("batching: max batch {}{}, preferred {}, max queue delay {} µs, max queued images {}", batches.max(),
        batches.max() < config.maxBatch()
            ? " (" + config.maxBatch() + " requested; the model fixes its batch at " + batches.max() + ")" : "",
        batching.preferredBatchSizes(), TimeUnit.NANOSECONDS.toMicros(batching.maxQueueDelayNanos()),
        batching.maxQueuedImages());
    return new ModelRuntime(model, config, engines.backend(), engines.engines(), batching, listener);
  }

  /** The batcher's settings: the decided batch sizes, and the preferred sizes that fit them. */
  private static BatchingConfig batchingConfig(RuntimeConfig config, BatchSizes batches) {
    SortedSet<Integer> preferred = config.preferredBatchSizes().headSet(batches.max() + 1);
    return new BatchingConfig(batches.max(), preferred, config.maxQueueDelay().toNanos(), config.maxQueuedImages(),
        AGING_BOUND_NANOS);
  }

  public ClassificationPipeline pipeline() {
    return pipeline;
  }

  public ModelSpec model() {
    return model;
  }

  /** The engine instances' description (the configured backend, also while it has failed over). */
  public EngineInfo engineInfo() {
    return engineInfo;
  }

  /** The backend that runs, why, and its health; under {@code auto} possibly not the one first chosen. */
  public BackendChoice backend() {
    return backend;
  }

  /** Whether the engines are accelerated, and whether they have failed over to their fallback now. */
  public EngineHealth health() {
    return backend.health();
  }

  /** The effective batching: the decided max batch and what else the batcher runs with. */
  public BatchingConfig batching() {
    return batching;
  }

  /** The most images in one engine batch. */
  public int maxBatch() {
    return batching.maxBatch();
  }

  /** The number of preprocessed images waiting for an engine. */
  public int queuedImages() {
    return scheduler.queuedImages();
  }

  /** What calls may hold at once, and what they hold now. */
  public MemoryBudget memoryBudget() {
    return memoryBudget;
  }

  private RuntimeGauges gauges() {
    InferenceScheduler queue = scheduler;
    MemoryBudget budget = memoryBudget;
    return new RuntimeGauges() {
      @Override
      public int queuedImages() {
        return queue.queuedImages();
      }

      @Override
      public long memoryBudgetUsedBytes() {
        return budget.usedBytes();
      }

      @Override
      public long memoryBudgetLimitBytes() {
        return budget.limitBytes();
      }
    };
  }

  /**
   * Runs the whole path once — decoding a PNG, a tensor, a full engine batch — so that native libraries
   * are loaded and the engine has allocated its memory before the first client call.
   */
  public void warmUp() throws EngineException {
    int batch = batching.maxBatch();
    List<ImageInput> images = new ArrayList<>(batch);
    images.add(new ImageInput.Encoded(ByteBuffer.wrap(samplePng())));
    ByteBuffer zeros = ByteBuffer.allocate(model.input().elementCount() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    while (images.size() < batch) {
      images.add(new ImageInput.Tensor(zeros.duplicate()));
    }
    try {
      pipeline.classify(images, 1, CallScope.UNBOUNDED).get(5, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw new EngineException("warm-up failed: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new EngineException("warm-up took more than 5 minutes", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineException("interrupted during warm-up", e);
    }
  }

  private static byte[] samplePng() {
    BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        image.setRGB(x, y, (x * 4) << 16 | (y * 5) << 8 | (x + y));
      }
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", png);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return png.toByteArray();
  }

  /** Lets queued work finish, then stops the engines and pools. */
  @Override
  public void close() {
    preprocessPool.shutdown();
    try {
      preprocessPool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    scheduler.close();
    postprocessPool.shutdown();
    try {
      postprocessPool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
