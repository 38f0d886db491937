package io.mobiserve.server;

import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.PerRequestScheduler;
import io.mobiserve.batching.SchedulerListener;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.imageio.ImageIO;

/**
 * Everything that runs a model: engine instances, the scheduler in front of them, the preprocessing and
 * postprocessing pools, and the pipeline over them. Owns them all and frees them in {@link #close()}.
 */
public final class ModelRuntime implements AutoCloseable {

  /**
   * @param instances engine instances, each running one batch at a time
   * @param maxQueuedImages the most images waiting for an engine
   * @param preprocessThreads threads decoding and resizing images
   * @param preprocessQueue the most images waiting for a preprocessing thread
   * @param imageLimits per-image limits
   */
  public record Options(
      int instances, int maxQueuedImages, int preprocessThreads, int preprocessQueue, ImageLimits imageLimits) {

    public Options {
      requirePositive(instances, "instances");
      requirePositive(maxQueuedImages, "max queued images");
      requirePositive(preprocessThreads, "preprocess threads");
      requirePositive(preprocessQueue, "preprocess queue");
    }

    /** Defaults for this machine: one engine instance, a preprocessing thread per core. */
    public static Options defaults() {
      int cores = Runtime.getRuntime().availableProcessors();
      return new Options(1, 1024, cores, 1024, ImageLimits.DEFAULT);
    }

    private static void requirePositive(int value, String name) {
      if (value < 1) {
        throw new IllegalArgumentException(name + " must be positive, not " + value);
      }
    }
  }

  private final ModelSpec model;
  private final EngineInfo engineInfo;
  private final SchedulerListener schedulerListener;
  private final InferenceScheduler scheduler;
  private final ExecutorService preprocessPool;
  private final ExecutorService postprocessPool;
  private final ClassificationPipeline pipeline;

  private ModelRuntime(ModelSpec model, List<InferenceEngine> engines, Options options, ServerMetrics metrics) {
    this.model = model;
    this.engineInfo = engines.get(0).info();
    this.schedulerListener = metrics;
    // PerRequestScheduler takes no SchedulerListener, so the engines and the scheduler are wrapped to report
    // on its behalf; a scheduler that takes schedulerListener itself replaces all three wrappers.
    List<InferenceEngine> reporting = new ArrayList<>(engines.size());
    for (int i = 0; i < engines.size(); i++) {
      reporting.add(new ReportingEngine(engines.get(i), i, schedulerListener, System::nanoTime));
    }
    this.scheduler = new ReportingScheduler(
        new PerRequestScheduler(reporting, options.maxQueuedImages(), System::nanoTime), schedulerListener);
    this.preprocessPool = new ThreadPoolExecutor(
        options.preprocessThreads(), options.preprocessThreads(), 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(options.preprocessQueue()), daemonThreads("preprocess"),
        new ThreadPoolExecutor.AbortPolicy());
    this.postprocessPool = Executors.newFixedThreadPool(2, daemonThreads("postprocess"));
    this.pipeline = new ClassificationPipeline(
        model,
        new OpenCvImagePreprocessor(model.input(), model.preprocessing(), options.imageLimits()),
        scheduler,
        preprocessPool,
        postprocessPool,
        metrics);
    metrics.modelLoaded(model.name(), engineInfo, scheduler::queuedImages);
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
    List<InferenceEngine> engines = new ArrayList<>();
    try {
      for (int i = 0; i < options.instances(); i++) {
        engines.add(factory.create(model));
      }
    } catch (EngineException | RuntimeException e) {
      engines.forEach(InferenceEngine::close);
      throw e;
    }
    return new ModelRuntime(model, engines, options, metrics);
  }

  public ClassificationPipeline pipeline() {
    return pipeline;
  }

  public EngineInfo engineInfo() {
    return engineInfo;
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
    int batch = engineInfo.maxBatch();
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

  private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
  }
}
