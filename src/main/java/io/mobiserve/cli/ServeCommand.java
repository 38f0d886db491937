package io.mobiserve.cli;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ModelRuntime;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.ServingModel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code mobiserve serve}: load a model and serve ClassifyService until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Serve a model over gRPC (the built-in MobileNetV3-Large unless --model is given).")
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8500", description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Mixin
  ModelOptions modelOptions;

  @Option(names = "--backend", defaultValue = "auto", description = "auto, cpu or tensorrt (default: ${DEFAULT-VALUE}).")
  Backend backend;

  @Option(names = "--threads", description = "ONNX Runtime intra-op threads (default: the number of cores).")
  Integer threads;

  @Option(names = "--max-batch", defaultValue = "64", description = "Most images in one engine batch (default: ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-images-per-request", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
  int maxImagesPerRequest;

  @Option(names = "--max-image-bytes", defaultValue = "16777216", description = "Largest encoded image, bytes (default: ${DEFAULT-VALUE}).")
  long maxImageBytes;

  @Option(names = "--max-pixels", defaultValue = "40000000", description = "Largest width x height of an image (default: ${DEFAULT-VALUE}).")
  long maxPixels;

  @Option(names = "--max-message-bytes", defaultValue = "67108864", description = "Largest request message, bytes (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--shutdown-grace", defaultValue = "30", description = "Seconds that calls in flight get to finish at shutdown (default: ${DEFAULT-VALUE}).")
  int shutdownGraceSeconds;

  @Override
  public Integer call() throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    OrtEngineOptions engineOptions = engineOptions(cores);
    BackendSelection selection = BackendSelection.choose(backend, engineOptions);
    ServerLimits limits = limits();
    ModelSpec model = modelOptions.resolve();
    log.info("model {}: {} ({} classes, input {}x{}x{}, preprocessing {}){}", model.name(), model.architecture(),
        model.classes(), model.input().channels(), model.input().height(), model.input().width(),
        model.preprocessing(), model.trained() ? "" : " — UNTRAINED weights: " + model.notes());
    log.info("backend {}", selection.reason());

    ExecutorService handlers = Executors.newFixedThreadPool(Math.max(4, 2 * cores), Threads.daemon("grpc-handler"));
    MobiserveServer server = MobiserveServer.start(
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port)), limits, handlers);
    log.info("listening on {}:{} (health NOT_SERVING until the model is warm)", host, server.port());

    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), signal -> stop.countDown());
    Signal.handle(new Signal("INT"), signal -> stop.countDown());

    ModelRuntime runtime;
    try {
      runtime = ModelRuntime.start(model, selection.factory(), runtimeOptions(cores, limits));
      long start = System.nanoTime();
      runtime.warmUp();
      log.info("warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
    } catch (EngineException e) {
      server.shutdown(Duration.ZERO);
      throw new IllegalStateException("the engine could not start: " + e.getMessage(), e);
    }
    server.serve(ServingModel.of(runtime, selection.reason(), limits));
    log.info("serving {} on port {} with {}", model.name(), server.port(), runtime.engineInfo().backend());

    stop.await();
    log.info("shutting down: no new calls; {} s for calls in flight", shutdownGraceSeconds);
    boolean drained = server.shutdown(Duration.ofSeconds(shutdownGraceSeconds));
    runtime.close();
    handlers.shutdown();
    log.info("stopped{}", drained ? "" : " (some calls were cancelled after the grace period)");
    return ExitCodes.OK;
  }

  private OrtEngineOptions engineOptions(int cores) {
    if (threads != null && threads < 1) {
      throw new ConfigurationException("--threads must be at least 1, not " + threads);
    }
    if (maxBatch < 1) {
      throw new ConfigurationException("--max-batch must be at least 1, not " + maxBatch);
    }
    return new OrtEngineOptions(threads == null ? cores : threads, maxBatch);
  }

  private ServerLimits limits() {
    try {
      return new ServerLimits(maxImagesPerRequest, new ImageLimits(maxImageBytes, maxPixels), maxMessageBytes);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  /** The runtime settings {@code serve} uses; {@code bench --in-process} uses the same. */
  static ModelRuntime.Options runtimeOptions(int cores, ServerLimits limits) {
    ModelRuntime.Options defaults = ModelRuntime.Options.defaults();
    return new ModelRuntime.Options(defaults.instances(), defaults.maxQueuedImages(), cores,
        defaults.preprocessQueue(), limits.image());
  }

  static Path defaultModelCache() {
    return Path.of(System.getProperty("user.home"), ".cache", "mobiserve", "models");
  }
}
