package io.mobiserve.testing;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.runtime.BackendChoice;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.ServerLimits;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real mobiserve server on a real Netty transport, on an ephemeral loopback port, with a client
 * channel to it: what end-to-end tests talk to.
 */
public final class RunningServer implements AutoCloseable {
  private final ModelRuntime runtime;
  private final MobiserveServer server;
  private final ModelEndpoint endpoint;
  private final ExecutorService handlers = Executors.newFixedThreadPool(4);
  private final ManagedChannel channel;

  public RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits)
      throws Exception {
    this(model, engines, config, limits, ServerMetrics.DISABLED);
  }

  /** A server that reports to {@code metrics}, as {@code serve --metrics-port} does. */
  public RunningServer(
      ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits, ServerMetrics metrics)
      throws Exception {
    this(model, engines, config, limits, metrics, EngineHealth.unaccelerated(), "cpu: test");
  }

  /** A server whose engines report their health to {@code health}, as {@code serve --backend tensorrt} does. */
  public RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits,
      ServerMetrics metrics, EngineHealth health, String backendReason) throws Exception {
    this(model, engines, config, limits, metrics, health, backendReason, MobiserveServer.Access.OPEN);
  }

  /** A plaintext server that admits calls as {@code access} says (tokens, reflection), as {@code serve} does. */
  public RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits,
      ServerMetrics metrics, MobiserveServer.Access access) throws Exception {
    this(model, engines, config, limits, metrics, EngineHealth.unaccelerated(), "cpu: test", access);
  }

  /**
   * A plaintext server whose endpoint {@code endpoint} makes from the default one, as {@code serve} does with its
   * front-end options ({@code --kserve-outputs}).
   */
  public RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits,
      ServerMetrics metrics, UnaryOperator<ModelEndpoint> endpoint) throws Exception {
    this(model, engines, config, limits, metrics, EngineHealth.unaccelerated(), "cpu: test",
        MobiserveServer.Access.OPEN, endpoint);
  }

  private RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits,
      ServerMetrics metrics, EngineHealth health, String backendReason, MobiserveServer.Access access)
      throws Exception {
    this(model, engines, config, limits, metrics, health, backendReason, access, UnaryOperator.identity());
  }

  private RunningServer(ModelSpec model, EngineFactory engines, RuntimeConfig config, ServerLimits limits,
      ServerMetrics metrics, EngineHealth health, String backendReason, MobiserveServer.Access access,
      UnaryOperator<ModelEndpoint> endpoint) throws Exception {
    runtime = ModelRuntime.start(model, config, BackendChoice.of(engines, backendReason, health), metrics);
    runtime.warmUp();
    server = MobiserveServer.start(
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)), limits, handlers, metrics, access);
    this.endpoint = endpoint.apply(ModelEndpoint.of(runtime, limits));
    server.serve(this.endpoint);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext()
        .maxInboundMessageSize(64 << 20)
        .build();
  }

  /** The loopback port the server listens on. */
  public int port() {
    return server.port();
  }

  public ManagedChannel channel() {
    return channel;
  }

  public ClassifyServiceGrpc.ClassifyServiceBlockingStub blockingStub() {
    return ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  /** The Open Inference Protocol's service on the same server. */
  public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub inferenceStub() {
    return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  public ClassifyServiceGrpc.ClassifyServiceStub asyncStub() {
    return ClassifyServiceGrpc.newStub(channel);
  }

  public ModelRuntime runtime() {
    return runtime;
  }

  /** What the server serves: the runtime, its limits and how its front ends present it. */
  public ModelEndpoint endpoint() {
    return endpoint;
  }

  /** What {@code grpc.health.v1} says of {@code service} ("" for the server as a whole). */
  public ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  public ModelInfo modelInfo() {
    return blockingStub().getModelInfo(GetModelInfoRequest.getDefaultInstance());
  }

  @Override
  public void close() throws Exception {
    channel.shutdownNow();
    server.shutdown(Duration.ofSeconds(5));
    runtime.close();
    handlers.shutdownNow();
  }
}
