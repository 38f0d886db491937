package io.mobiserve.cli;

import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mobiserve.engine.EngineException;
import io.mobiserve.metrics.MetricsHttpServer;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.BackendChoice;
import io.mobiserve.runtime.DaemonThreads;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.TransportBuffers;
import io.mobiserve.server.http.HttpTls;
import io.mobiserve.server.http.KServeHttpServer;
import io.mobiserve.server.kserve.KServeModel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
    description = "Serve a model over gRPC (the built-in MobileNetV3-Large unless --model is given).",
    footer = {"%nEvery option can also come from the environment as MOBISERVE_ and its name in upper case with"
        + " underscores (MOBISERVE_MAX_BATCH=8, MOBISERVE_CONFIG=FILE). Flags win over the environment, which wins"
        + " over the --config file."})
final class ServeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = ConfigFile.OPTION, paramLabel = "FILE",
      description = "A properties file of settings (keys are option names without dashes, e.g. max-batch = 16); flags and MOBISERVE_* variables win over it.")
  Path config;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8500", description = "gRPC port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
  int port;

  @Mixin
  ModelOptions modelOptions;

  @Mixin
  RuntimeOptions runtimeOptions;

  @Option(names = "--max-images-per-request", defaultValue = "64", description = "Default: ${DEFAULT-VALUE}.")
  int maxImagesPerRequest;

  @Option(names = "--max-image-bytes", defaultValue = "16777216", description = "Largest encoded image, bytes (default: ${DEFAULT-VALUE}).")
  long maxImageBytes;

  @Option(names = "--max-pixels", defaultValue = "40000000", description = "Largest width x height of an image (default: ${DEFAULT-VALUE}).")
  long maxPixels;

  @Option(names = "--max-message-bytes", defaultValue = "67108864", description = "Largest request message, bytes (default: ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--metrics-port", description = "Serve Prometheus metrics at http://HOST:PORT/metrics; 0 picks a free port (default: off).")
  Integer metricsPort;

  @Option(names = "--http-port", description = "Serve the KServe v2 HTTP/REST protocol on this port, over TLS with --tls-cert (HTTPS, the same certificate and client CA as gRPC); 0 picks a free one (default: off).")
  Integer httpPort;

  @Option(names = "--kserve-outputs", split = ",", paramLabel = "NAME",
      description = "The outputs the KServe v2 front ends (gRPC, and --http-port) present in model metadata, model config"
          + " and inference: logits, probabilities, or both; one alone (e.g. probabilities) for clients that take only a"
          + " model of one output, such as Triton's image_client.py. An output left out is refused as unknown"
          + " (default: logits,probabilities).")
  List<String> kserveOutputs = KServeModel.OUTPUTS;

  @Option(names = "--metrics-host", paramLabel = "ADDR", description = "Address the metrics port listens on (default: --host).")
  String metricsHost;

  @Option(names = "--health-port", description = "Also answer grpc.health.v1.Health, and nothing else, on this port: plaintext and open, for probes"
      + " that cannot speak TLS or send a token (kubelet's gRPC probes); 0 picks a free one (default: off).")
  Integer healthPort;

  @Option(names = "--max-connection-age", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Close each client connection after about this long (GOAWAY; gRPC varies it by up to 10%% either way), so that"
          + " round-robin clients resolve the name again and spread onto servers added since; at least 1s, 0 for off"
          + " (default: off).")
  Duration maxConnectionAge;

  @Option(names = "--max-connection-age-grace", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "How long calls in flight on a connection past --max-connection-age may go on before it is cut"
          + " (default: until they end, so that a video stream is never cut for its connection's age).")
  Duration maxConnectionAgeGrace;

  @Mixin
  ServeSecurityOptions security;

  @Option(names = "--shutdown-grace", defaultValue = "30", description = "Seconds that calls in flight get to finish at shutdown (default: ${DEFAULT-VALUE}).")
  int shutdownGraceSeconds;

  @Override
  public Integer call() throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    ServerLimits limits = limits();
    RuntimeConfig config = runtimeOptions.toConfig(cores, limits.image());
    // Before listening: a backend that cannot run here stops the server at once, naming what is missing.
    BackendChoice backend = BackendChoice.choose(config);
    ModelSpec model = modelOptions.resolve();
    if (metricsPort != null && (metricsPort < 0 || metricsPort > 65535)) {
      throw new ConfigurationException("--metrics-port must be within 0..65535, not " + metricsPort);
    }
    if (httpPort != null && (httpPort < 0 || httpPort > 65535)) {
      throw new ConfigurationException("--http-port must be within 0..65535, not " + httpPort);
    }
    if (healthPort != null && (healthPort < 0 || healthPort > 65535)) {
      throw new ConfigurationException("--health-port must be within 0..65535, not " + healthPort);
    }
    ConnectionAge connectionAge = connectionAge();
    List<String> outputs = presentedOutputs();
    // Certificates, keys and tokens are read now, so that a file that cannot be used stops the server at once.
    FileWatcher files = FileWatcher.every(RELOAD_PERIOD);
    ServerCredentials credentials = security.credentials(files);
    MobiserveServer.Access access = security.access(files);
    HttpTls httpTls = httpPort == null ? null : security.httpTls(files);
    // The batch sizes as asked for: the runtime decides the ones it uses (a model's fixed batch lowers them)
    // and logs them in its "batching:" line.
    log.info("config host={} port={} http_port={} kserve_outputs={} metrics_port={} model={} backend={} fallback={}"
            + " gpu={} precision={} instances={} threads_per_instance={} memory_budget_mb={}"
            + " requested_max_batch={} requested_preferred_batch={} max_queue_delay_us={} max_queue={}"
            + " max_images_per_request={}"
            + " max_image_bytes={} max_pixels={} max_message_bytes={} max_connection_age={} shutdown_grace_s={}",
        host, port, httpPort == null ? "off" : httpPort, String.join(",", outputs),
        metricsPort == null ? "off" : metricsPort, model.name(),
        config.backend(), config.fallback(), config.tensorRt().deviceIndex(), config.tensorRt().precision(),
        config.instances(), config.cpu().intraOpThreads(), config.memoryBudgetBytes() >> 20, config.maxBatch(),
        config.preferredBatchSizes(),
        config.maxQueueDelay().toNanos() / 1000, config.maxQueuedImages(), maxImagesPerRequest, maxImageBytes,
        maxPixels, maxMessageBytes, connectionAge, shutdownGraceSeconds);
    log.info("model {}: {} ({} classes, input {}x{}x{}, preprocessing {}){}", model.name(), model.architecture(),
        model.classes(), model.input().channels(), model.input().height(), model.input().width(),
        model.preprocessing(), model.trained() ? "" : " — UNTRAINED weights: " + model.notes());
    log.info("backend {}", backend.reason());
    if (outputs.size() == 1 && !model.labels().isPresent()) {
      log.warn("model {} has no class names: the classification extension answers 'value:index' without a label,"
          + " which clients that print 'value:index:label' (Triton's image_client.py) cannot read; --labels FILE"
          + " gives the names", model.name());
    }

    // Recorded even without --metrics-port: KServe's ModelStatistics reads the same counters.
    PrometheusMetrics metrics = PrometheusMetrics.create();
    MetricsHttpServer metricsServer = null;
    if (metricsPort != null) {
      metricsServer = MetricsHttpServer.start(metricsHost == null ? host : metricsHost, metricsPort, metrics);
      log.info("metrics at {}", metricsServer.url());
    }

    ExecutorService handlers = Executors.newFixedThreadPool(Math.max(4, 2 * cores), DaemonThreads.named("grpc-handler"));
    MobiserveServer server = MobiserveServer.start(
        connectionAge.applyTo(TransportBuffers.applyTo(
            NettyServerBuilder.forAddress(new InetSocketAddress(host, port), credentials))), limits,
        handlers, metrics, access);
    log.info("listening on {}:{} (health NOT_SERVING until the model is warm)", host, server.port());
    if (healthPort != null) {
      log.info("health only, plaintext, on {}:{}", host, server.listenForHealth(
          TransportBuffers.applyTo(NettyServerBuilder.forAddress(new InetSocketAddress(host, healthPort)))));
    }
    KServeHttpServer http = httpPort == null ? null
        : KServeHttpServer.start(host, httpPort, limits, metrics, access.tokens(), httpTls);
    if (http != null) {
      log.info("KServe v2 HTTP on {}:{}{}", host, http.port(), httpTls == null ? ""
          : httpTls.requiresClientCertificates() ? " over TLS, client certificates required" : " over TLS");
    }

    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), signal -> stop.countDown());
    Signal.handle(new Signal("INT"), signal -> stop.countDown());

    ModelRuntime runtime;
    try {
      runtime = ModelRuntime.start(model, config, backend, metrics);
      if (runtime.backend() != backend) {
        log.info("backend {}", runtime.backend().reason());
      }
      long start = System.nanoTime();
      runtime.warmUp();
      log.info("warmed up in {} ms", (System.nanoTime() - start) / 1_000_000);
    } catch (EngineException e) {
      log.error("the engine could not start: {}", e.getMessage());
      server.shutdown(Duration.ZERO);
      if (http != null) {
        http.close();
      }
      if (metricsServer != null) {
        metricsServer.close();
      }
      throw new IllegalStateException("the engine could not start: " + e.getMessage(), e);
    }
    ModelEndpoint endpoint = ModelEndpoint.of(runtime, limits).withKServeOutputs(outputs);
    server.serve(endpoint);
    if (http != null) {
      http.serve(endpoint);
    }
    log.info("serving {} on port {} with {}", model.name(), server.port(), runtime.engineInfo().backend());

    stop.await();
    log.info("shutting down: no new calls; {} s for calls in flight", shutdownGraceSeconds);
    if (http != null) {
      http.shutdown(Duration.ofSeconds(shutdownGraceSeconds));
    }
    boolean drained = server.shutdown(Duration.ofSeconds(shutdownGraceSeconds));
    runtime.close();
    handlers.shutdown();
    files.close();
    if (metricsServer != null) {
      metricsServer.close();
    }
    log.info("stopped drained={}{}", drained, drained ? "" : " (some calls were cancelled after the grace period)");
    return ExitCodes.OK;
  }

  /** How often certificate, key and token files are looked at for changes. */
  private static final Duration RELOAD_PERIOD = Duration.ofSeconds(10);

  /**
   * How long a client connection may live: off, or an age after which the server sends GOAWAY (the client
   * opens a new connection for its next calls, resolving the target again) and a grace for the calls still in
   * flight on the old one (none: they run to their end).
   */
  record ConnectionAge(Duration age, Duration grace) {
    /** gRPC's shortest maximum age: it quietly raises a shorter one to this. */
    static final Duration MINIMUM = Duration.ofSeconds(1);

    NettyServerBuilder applyTo(NettyServerBuilder builder) {
      if (age != null) {
        builder.maxConnectionAge(age.toNanos(), TimeUnit.NANOSECONDS);
        if (grace != null) {
          builder.maxConnectionAgeGrace(grace.toNanos(), TimeUnit.NANOSECONDS);
        }
      }
      return builder;
    }

    @Override
    public String toString() {
      return age == null ? "off" : text(age) + " grace=" + (grace == null ? "unbounded" : text(grace));
    }

    private static String text(Duration duration) {
      return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }
  }

  private ConnectionAge connectionAge() {
    Duration age = maxConnectionAge == null || maxConnectionAge.isZero() ? null : maxConnectionAge;
    if (age == null) {
      if (maxConnectionAgeGrace != null) {
        throw new ConfigurationException("--max-connection-age-grace needs --max-connection-age");
      }
      return new ConnectionAge(null, null);
    }
    if (age.compareTo(ConnectionAge.MINIMUM) < 0) {
      throw new ConfigurationException("--max-connection-age must be at least 1s (or 0 for off), not "
          + age.toMillis() + "ms");
    }
    return new ConnectionAge(age, maxConnectionAgeGrace);
  }

  /** The KServe outputs to present, checked: some of logits and probabilities, each once. */
  List<String> presentedOutputs() {
    try {
      return KServeModel.presented(kserveOutputs);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("--kserve-outputs: " + e.getMessage(), e);
    }
  }

  private ServerLimits limits() {
    try {
      return new ServerLimits(maxImagesPerRequest, new ImageLimits(maxImageBytes, maxPixels), maxMessageBytes);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  static Path defaultModelCache() {
    return Path.of(System.getProperty("user.home"), ".cache", "mobiserve", "models");
  }
}
