package io.mobiserve.server;

import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.batching.DynamicBatcher;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineHealth;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.imageio.ImageIO;

/**
 * Everything that runs a model: engine instances, the scheduler in front of them, the preprocessing and
 * postprocessing pools, and the pipeline over them. Owns them all and frees them in {@link #close()}.
 */
public final class ModelRuntime implements AutoCloseable {

  /**
   * @param instances engine instances, each running one batch at a time
   * @param preprocessThreads threads decoding and resizing images
   * @param preprocessQueue the most images waiting for a preprocessing thread
   * @param imageLimits per-image limits
   * @param batching how images are merged into engine batches; a max batch above the engine's own is
   *     lowered to it
   */
  public record Options(
      int instances,
      int preprocessThreads,
      int preprocessQueue,
      ImageLimits imageLimits,
      BatchingConfig batching) {

    public Options {
      requirePositive(instances, "instances");
      requirePositive(preprocessThreads, "preprocess threads");
      requirePositive(preprocessQueue, "preprocess queue");
      Objects.requireNonNull(imageLimits, "imageLimits");
      Objects.requireNonNull(batching, "batching");
    }

    /** Default batching ({@link BatchingConfig#defaults()}) with {@code maxQueuedImages}. */
    public Options(
        int instances, int maxQueuedImages, int preprocessThreads, int preprocessQueue, ImageLimits imageLimits) {
      this(instances, preprocessThreads, preprocessQueue, imageLimits,
          BatchingConfig.defaults().withMaxQueuedImages(maxQueuedImages));
    }

    /** Defaults for this machine: one engine instance, a preprocessing thread per core. */
    public static Options defaults() {
      int cores = Runtime.getRuntime().availableProcessors();
      return new Options(1, cores, 1024, ImageLimits.DEFAULT, BatchingConfig.defaults());
    }

    /** The most images waiting for an engine. */
    public int maxQueuedImages() {
      return batching.maxQueuedImages();
    }

    public Options withBatching(BatchingConfig value) {
      return new Options(instances, preprocessThreads, preprocessQueue, imageLimits, value);
    }

    private static void requirePositive(int value, String name) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be positive, not " + value);
      }
    }
  }

  private final ModelSpec model;
  private final EngineInfo engineInfo;
  private final BatchingConfig batching;
  private final InferenceScheduler scheduler;
  private final ExecutorService preprocessPool;
  private final ExecutorService postprocessPool;
  private final ClassificationPipeline pipeline;
  private final EngineHealth health;

  private ModelRuntime(ModelSpec model, List<InferenceEngine> engines, Options options, ServerMetrics metrics,
      EngineHealth health) {
    this.model = model;
    this.health = health;
    this.engineInfo = engines.get(0).info();
    // The engine's max batch is the upper bound: the default (16) must also run a model exported with a
    // smaller fixed batch.
    this.batching = options.batching().limitedTo(engineInfo.maxBatch());
    this.scheduler = new DynamicBatcher(
        engines, model.input().elementCount(), batching, metrics, System::nanoTime);
    this.preprocessPool = new ThreadPoolExecutor(
        options.preprocessThreads(), options.preprocessThreads(), 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(options.preprocessQueue()), DaemonThreads.named("preprocess"),
        new ThreadPoolExecutor.AbortPolicy());
    this.postprocessPool = Executors.newFixedThreadPool(2, DaemonThreads.named("postprocess"));
    this.pipeline = new ClassificationPipeline(
        model,
        new OpenCvImagePreprocessor(model.input(), model.preprocessing(), options.imageLimits()),
        scheduler,
        preprocessPool,
        postprocessPool,
        metrics);
    metrics.modelLoaded(model.name(), engineInfo, scheduler::queuedImages);
    health.watch(metrics);
  }

  /** Creates the engine instances and everything around them, measuring nothing. */
  public static ModelRuntime start(ModelSpec model, EngineFactory factory, Options options) throws EngineException {
    return start(model, factory, options, ServerMetrics.DISABLED);
  }

  /**
   * Creates the engine instances and everything around them.
   *
   * @param metrics told about preprocessing, queueing and every engine batch, and about the model once
   *     the engines are up
   */
  public static ModelRuntime start(ModelSpec model, EngineFactory factory, Options options, ServerMetrics metrics)
      throws EngineException {
    return start(model, factory, options, metrics, EngineHealth.unaccelerated());
  }

  /**
   * Creates the engine instances and everything around them, for engines that report their health.
   *
   * @param metrics told about preprocessing, queueing and every engine batch, about the model once the
   *     engines are up, and about failovers
   * @param health what {@code factory}'s instances report to (see {@link
   *     io.mobiserve.engine.FailoverEngine}); the server reads it for health checks and ModelInfo
   */
  public static ModelRuntime start(
      ModelSpec model, EngineFactory factory, Options options, ServerMetrics metrics, EngineHealth health)
      throws EngineException {
    List<InferenceEngine> engines = new ArrayList<>();
    try {
      for (int i = 0; i < options.instances(); i++) {
        engines.add(factory.create(model));
      }
    } catch (EngineException | RuntimeException e) {
      engines.forEach(InferenceEngine::close);
      throw e;
    }
    return new ModelRuntime(model, engines, options, metrics, health);
  }

  public ClassificationPipeline pipeline() {
    return pipeline;
  }

  /** The most images in one engine batch: the batching config's, within the engine's own limit. */
  public int maxBatch() {
    return batching.maxBatch();
  }

  /** The effective batching configuration. */
  public BatchingConfig batching() {
    return batching;
  }

  public EngineInfo engineInfo() {
    return engineInfo;
  }

  /** Whether the engines are accelerated, and whether they have failed over to their fallback now. */
  public EngineHealth health() {
    return health;
  }

  /** The number of preprocessed images waiting for an engine. */
  public int queuedImages() {
    return scheduler.queuedImages();
  }

  public ModelSpec model() {
    return model;
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
