package io.mobiserve.server;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.EngineHealthListener;
import io.mobiserve.server.auth.CallerAuthentication;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.server.kserve.InferenceService;
import io.mobiserve.server.stream.StreamPolicyHeader;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC server's lifecycle: listen, serve a model once it is ready, shut down gracefully.
 *
 * <p>It listens before the model is loaded so that health checks can watch the load: the health
 * service answers NOT_SERVING until {@link #serve} is called, SERVING from then on, and NOT_SERVING
 * again once {@link #shutdown} begins. ClassifyService answers UNAVAILABLE while no model is served. The
 * Open Inference Protocol's {@code inference.GRPCInferenceService} is served beside it, on the same model.
 *
 * <p>A third health service name, {@value #ACCELERATED_SERVICE_NAME}, is SERVING only while an accelerated
 * backend runs the model: NOT_SERVING while it has failed over to its fallback, and always on a CPU
 * backend. "" and ClassifyService stay SERVING through a failover, since every image is still answered.
 */
public final class MobiserveServer {
  private static final Logger log = LoggerFactory.getLogger(MobiserveServer.class);
  private static final String SERVICE_NAME = ClassifyServiceGrpc.SERVICE_NAME;
  /** The health service name that is SERVING only while the accelerated backend is healthy. */
  public static final String ACCELERATED_SERVICE_NAME = SERVICE_NAME + "/accelerated";

  private final Server server;
  private final HealthStatusManager health = new HealthStatusManager();
  private final AtomicReference<ModelEndpoint> model = new AtomicReference<>();
  private volatile Server healthOnly;

  /**
   * Who may call, and what the server shows of itself.
   *
   * @param tokens the bearer tokens every call needs, but those to the health service; null: none needed
   * @param reflection whether server reflection is served (to tools such as grpcurl); it needs a token too
   */
  public record Access(TokenAuthenticator tokens, boolean reflection) {
    /** No tokens, reflection on. */
    public static final Access OPEN = new Access(null, true);
  }

  private MobiserveServer(
      ServerBuilder<?> builder, ServerLimits limits, Executor handlers, ServerMetrics metrics, Access access) {
    builder
        .executor(handlers)
        // Server-wide, so that every service is covered. The last added runs first: who is calling, then the
        // metrics (which see every call and the status it really ends with, refusals included), then the refusal
        // of calls without a valid token.
        .intercept(CallerAuthentication.admit(Set.of(HealthGrpc.SERVICE_NAME)))
        .intercept(new MetricsInterceptor(metrics, System::nanoTime))
        .intercept(CallerAuthentication.identify(access.tokens()))
        .addStreamTracerFactory(new MetricsInterceptor.FinalStatus())
        .addTransportFilter(new MetricsInterceptor.Connections(metrics))
        .maxInboundMessageSize(limits.maxMessageBytes())
        .addService(CallGuard.guard(ServerInterceptors.intercept(new ClassifyService(model::get),
            new CallerInterceptor(), new StreamPolicyHeader())))
        .addService(CallGuard.guard(ServerInterceptors.intercept(new InferenceService(model::get, metrics),
            new CallerInterceptor())))
        .addService(health.getHealthService());
    if (access.reflection()) {
      builder.addService(ProtoReflectionServiceV1.newInstance());
    }
    this.server = builder.build();
    health.setStatus("", ServingStatus.NOT_SERVING);
    health.setStatus(SERVICE_NAME, ServingStatus.NOT_SERVING);
    health.setStatus(ACCELERATED_SERVICE_NAME, ServingStatus.NOT_SERVING);
  }

  /**
   * Starts listening.
   *
   * @param builder a Netty builder bound to an address, or an in-process builder in tests
   * @param handlers the bounded executor that runs request handlers (never the transport threads)
   */
  public static MobiserveServer start(ServerBuilder<?> builder, ServerLimits limits, Executor handlers)
      throws IOException {
    return start(builder, limits, handlers, ServerMetrics.DISABLED);
  }

  /**
   * Starts listening, reporting every call — of every service — to {@code metrics}.
   *
   * @param builder a Netty builder bound to an address, or an in-process builder in tests
   * @param handlers the bounded executor that runs request handlers (never the transport threads)
   * @param metrics told each call's method, final status code and duration; read back by KServe's
   *     ModelStatistics
   */
  public static MobiserveServer start(
      ServerBuilder<?> builder, ServerLimits limits, Executor handlers, ServerMetrics metrics) throws IOException {
    return start(builder, limits, handlers, metrics, Access.OPEN);
  }

  /**
   * Starts listening, reporting every call to {@code metrics}, admitting calls as {@code access} says.
   *
   * @param builder a Netty builder bound to an address (with TLS credentials or without), or an in-process
   *     builder in tests
   */
  public static MobiserveServer start(ServerBuilder<?> builder, ServerLimits limits, Executor handlers,
      ServerMetrics metrics, Access access) throws IOException {
    MobiserveServer server = new MobiserveServer(builder, limits, handlers, metrics, access);
    server.server.start();
    return server;
  }

  /**
   * Also answers {@code grpc.health.v1.Health}, and nothing else, on a listener of its own: plaintext and open,
   * for probes that cannot speak TLS or send a token (kubelet's gRPC probes), beside a main port that needs
   * them. Same statuses as the main port; it stops after the main server, so it answers NOT_SERVING while the
   * server drains.
   *
   * @param builder a builder bound to the health address, without credentials
   * @return the port it listens on (the real one when 0 was asked for)
   */
  public int listenForHealth(ServerBuilder<?> builder) throws IOException {
    healthOnly = builder.addService(health.getHealthService()).build().start();
    return healthOnly.getPort();
  }

  /** The port the server listens on (the real one when 0 was asked for), or -1 in process. */
  public int port() {
    return server.getPort();
  }

  /**
   * Starts serving {@code ready}; health turns SERVING, and the accelerated service name follows the
   * engines' health from now on.
   */
  public void serve(ModelEndpoint ready) {
    model.set(ready);
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(SERVICE_NAME, ServingStatus.SERVING);
    AcceleratedStatus accelerated = new AcceleratedStatus(ready.health());
    ready.health().watch(accelerated);
    accelerated.update();
  }

  /**
   * Keeps {@value #ACCELERATED_SERVICE_NAME}'s status in step with the engines' health, and the main status
   * with whether they still answer.
   */
  private final class AcceleratedStatus implements EngineHealthListener {
    private final EngineHealth engines;

    AcceleratedStatus(EngineHealth engines) {
      this.engines = engines;
    }

    /** Sets the status from the engines' state now; serialized, so the last update wins with the latest state. */
    synchronized void update() {
      health.setStatus(ACCELERATED_SERVICE_NAME,
          engines.acceleratedAndHealthy() ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
      if (!engines.answering()) {
        health.setStatus("", ServingStatus.NOT_SERVING);
        health.setStatus(SERVICE_NAME, ServingStatus.NOT_SERVING);
      }
    }

    @Override
    public void degraded(String reason) {
      update();
    }

    @Override
    public void recovered() {
      update();
    }

    @Override
    public void failedOver(int images) {}

    @Override
    public void restartRequired(String reason) {
      update();
      if (!engines.answering()) {
        log.error("health NOT_SERVING for good: {}; nothing falls back (--fallback none), so this server must be "
            + "restarted", reason);
      }
    }
  }

  /**
   * Stops taking new calls, lets calls in flight finish within {@code grace}, then cancels what is left.
   * Health turns NOT_SERVING first so that load balancers stop sending work.
   *
   * @return true if every call finished within the grace period
   */
  public boolean shutdown(Duration grace) throws InterruptedException {
    health.enterTerminalState();
    server.shutdown();
    boolean drained = server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
    if (!drained) {
      log.warn("calls still running after the {} s grace period; cancelling them", grace.toSeconds());
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    model.set(null);
    Server probes = healthOnly;
    if (probes != null) {
      probes.shutdownNow();
    }
    return drained;
  }

  /** Blocks until the server has terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
