package io.mobiserve.server.http;

import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.batching.Priority;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.StatusMapper;
import io.mobiserve.server.auth.Caller;
import io.mobiserve.server.auth.CallerAuthentication;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.server.kserve.Inference;
import io.mobiserve.server.kserve.KServeModel;
import io.mobiserve.server.kserve.ServerInfo;
import io.mobiserve.server.kserve.Statistics;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The Open Inference Protocol's HTTP routes, whatever HTTP server carries them:
 *
 * <pre>
 * GET  /v2/health/live                                   200 (empty body)
 * GET  /v2/health/ready                                  200 once the model is served, else 400
 * GET  /v2/models/{name}[/versions/{v}]/ready            200, 400 while loading, 404 for another model
 * GET  /v2                                               server metadata
 * GET  /v2/models/{name}[/versions/{v}]                  model metadata
 * GET  /v2/models/{name}[/versions/{v}]/config           Triton's model configuration
 * GET  /v2/models/{name}[/versions/{v}]/stats            Triton's model statistics
 * POST /v2/models/{name}[/versions/{v}]/infer            inference (JSON, binary tensor extension)
 * </pre>
 *
 * Failures answer {"error": "..."} with the status of {@link HttpCodes}. Every request is reported to the
 * metrics as a call named "HTTP METHOD /route-template" (the model's name as {name}, so that the label's
 * values stay few), with the gRPC status code its outcome matches, and its caller.
 *
 * <p>With a {@link TokenAuthenticator}, every route but the health ones ({@code /v2/health/*} and a model's
 * {@code /ready}) needs {@code Authorization: Bearer TOKEN}, as the gRPC services do: otherwise 401, with one
 * message whatever was wrong. The token's name is the caller: for fairness in the batcher and in the metrics'
 * caller label, as on gRPC. Thread-safe.
 */
public final class V2Routes {
  private static final String MODEL_PATH = "/v2/models/{name}";

  private final Supplier<ModelEndpoint> model;
  private final ServerMetrics metrics;
  private final LongSupplier nanoClock;
  private final TokenAuthenticator tokens;

  /**
   * @param model the model being served, or null while it loads or after shutdown began
   * @param metrics told each request's route and outcome; read by the stats route
   */
  public V2Routes(Supplier<ModelEndpoint> model, ServerMetrics metrics, LongSupplier nanoClock) {
    this(model, metrics, nanoClock, null);
  }

  /** @param tokens the tokens every route but health needs, or null for none */
  public V2Routes(Supplier<ModelEndpoint> model, ServerMetrics metrics, LongSupplier nanoClock,
      TokenAuthenticator tokens) {
    this.model = model;
    this.metrics = metrics;
    this.nanoClock = nanoClock;
    this.tokens = tokens;
  }

  /** Answers {@code request}; the future never completes exceptionally. */
  public CompletableFuture<V2Reply> handle(V2Request request) {
    long start = nanoClock.getAsLong();
    Route route = Route.of(request.method(), request.path());
    metrics.started(route.name);
    Optional<String> name = tokens == null ? Optional.empty() : tokens.authenticate(request.authorization());
    String caller = tokens == null ? Caller.ANONYMOUS : name.orElse(Caller.UNAUTHENTICATED);
    CompletableFuture<V2Reply> reply;
    try {
      if (tokens != null && name.isEmpty() && !route.kind.open) {
        reply = done(V2Reply.error(401, Status.Code.UNAUTHENTICATED, CallerAuthentication.REFUSAL));
      } else {
        reply = dispatch(route, name.isPresent() ? request.withSource(name.get()) : request);
      }
    } catch (StatusException e) {
      reply = CompletableFuture.completedFuture(V2Reply.error(e.getStatus()));
    } catch (RuntimeException e) {
      reply = CompletableFuture.completedFuture(V2Reply.error(e));
    }
    return reply.whenComplete((done, failure) ->
        metrics.finished(route.name, caller, done == null ? Status.Code.INTERNAL.name() : done.code().name(),
            nanoClock.getAsLong() - start));
  }

  private CompletableFuture<V2Reply> dispatch(Route route, V2Request request) throws StatusException {
    if (route.kind == Kind.NONE) {
      return done(V2Reply.error(404, Status.Code.NOT_FOUND, "no route " + request.method() + " " + request.path()
          + "; the routes are under /v2 (see the Open Inference Protocol)"));
    }
    if (!route.method.equals(request.method())) {
      return done(V2Reply.error(405, Status.Code.UNIMPLEMENTED, request.method() + " is not allowed on "
          + request.path() + "; use " + route.method));
    }
    ModelEndpoint serving = model.get();
    switch (route.kind) {
      case LIVE:
        return done(V2Reply.empty(200, Status.Code.OK));
      case READY:
        return done(serving != null ? V2Reply.empty(200, Status.Code.OK) : V2Reply.empty(400, Status.Code.UNAVAILABLE));
      case SERVER:
        return done(V2Reply.ok(V2Json.server(ServerInfo.metadata())));
      default:
        break;
    }
    if (serving == null) {
      if (route.kind == Kind.MODEL_READY) {
        return done(V2Reply.empty(400, Status.Code.UNAVAILABLE));
      }
      return done(V2Reply.error(Status.UNAVAILABLE.withDescription(
          "the model is not loaded yet, or the server is shutting down")));
    }
    KServeModel served = new KServeModel(serving);
    served.check(route.model, route.version);
    return switch (route.kind) {
      case MODEL_READY -> done(V2Reply.empty(200, Status.Code.OK));
      case METADATA -> done(V2Reply.ok(V2Json.model(served.metadata())));
      case CONFIG -> done(V2Reply.ok(V2Json.config(served.config())));
      case STATS -> done(V2Reply.ok(V2Json.statistics(Statistics.of(served, metrics))));
      case INFER -> infer(served, route, request);
      default -> throw new IllegalStateException("unrouted " + route.kind);
    };
  }

  private CompletableFuture<V2Reply> infer(KServeModel served, Route route, V2Request request)
      throws StatusException {
    int jsonLength = jsonLength(request);
    JsonInferRequestReader.JsonInfer read =
        new JsonInferRequestReader(request.body(), jsonLength).read(route.model, route.version);
    CallScope scope = new CallScope(Long.MAX_VALUE, request.cancelled(), Priority.BULK, request.source());
    return Inference.run(served, read.request(), scope)
        .handle((response, failure) -> failure != null
            ? V2Reply.error(StatusMapper.unwrap(failure))
            : JsonInferResponseWriter.write(response, read));
  }

  /** The length of the JSON part of the body: the Inference-Header-Content-Length, or the whole body. */
  private static int jsonLength(V2Request request) throws StatusException {
    String header = request.inferenceHeaderLength();
    if (header == null) {
      return request.body().length;
    }
    int length;
    try {
      length = Integer.parseInt(header.strip());
    } catch (NumberFormatException e) {
      throw JsonInferRequestReader.invalid("Inference-Header-Content-Length '" + header + "' is not a number");
    }
    if (length < 1 || length > request.body().length) {
      throw JsonInferRequestReader.invalid("Inference-Header-Content-Length " + length + " must be from 1 to the body's "
          + request.body().length + " bytes (a body of binary data alone, without its JSON header, is not accepted)");
    }
    return length;
  }

  private static CompletableFuture<V2Reply> done(V2Reply reply) {
    return CompletableFuture.completedFuture(reply);
  }

  private enum Kind {
    LIVE(true), READY(true), SERVER(false), MODEL_READY(true), METADATA(false), CONFIG(false), STATS(false),
    INFER(false), NONE(false);

    /** Answered without a token: health, for probes and load balancers. */
    final boolean open;

    Kind(boolean open) {
      this.open = open;
    }
  }

  /** Where a path leads: what it asks, of which model and version, and under which name it is counted. */
  private static final class Route {
    final Kind kind;
    final String method;
    final String name;
    final String model;
    final String version;

    private Route(Kind kind, String method, String template, String model, String version) {
      this.kind = kind;
      this.method = method;
      this.name = "HTTP " + method + " " + template;
      this.model = model;
      this.version = version;
    }

    static Route of(String method, String path) {
      List<String> parts = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
      if (parts.isEmpty() || !parts.get(0).equals("v2")) {
        return none(method);
      }
      if (parts.size() == 1) {
        return new Route(Kind.SERVER, "GET", "/v2", "", "");
      }
      if (parts.size() == 3 && parts.get(1).equals("health")) {
        switch (parts.get(2)) {
          case "live":
            return new Route(Kind.LIVE, "GET", "/v2/health/live", "", "");
          case "ready":
            return new Route(Kind.READY, "GET", "/v2/health/ready", "", "");
          default:
            return none(method);
        }
      }
      if (parts.size() < 3 || !parts.get(1).equals("models")) {
        return none(method);
      }
      String model = parts.get(2);
      String version = "";
      int next = 3;
      if (parts.size() >= 5 && parts.get(3).equals("versions")) {
        version = parts.get(4);
        next = 5;
      }
      if (parts.size() == next) {
        return new Route(Kind.METADATA, "GET", MODEL_PATH, model, version);
      }
      if (parts.size() != next + 1) {
        return none(method);
      }
      return switch (parts.get(next)) {
        case "ready" -> new Route(Kind.MODEL_READY, "GET", MODEL_PATH + "/ready", model, version);
        case "config" -> new Route(Kind.CONFIG, "GET", MODEL_PATH + "/config", model, version);
        case "stats" -> new Route(Kind.STATS, "GET", MODEL_PATH + "/stats", model, version);
        case "infer" -> new Route(Kind.INFER, "POST", Statistics.HTTP_INFER.substring("HTTP POST ".length()), model,
            version);
        default -> none(method);
      };
    }

    private static Route none(String method) {
      boolean known = List.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH").contains(method);
      return new Route(Kind.NONE, known ? method : "OTHER", "(no route)", "", "");
    }
  }
}
