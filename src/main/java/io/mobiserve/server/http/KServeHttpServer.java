package io.mobiserve.server.http;

import io.grpc.Status;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.auth.TokenAuthenticator;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The KServe v2 HTTP/REST front end's lifecycle: Jetty's core HTTP server (HTTP/1.1, keep-alive; over TLS
 * with {@link HttpTls}) on its own port and a small bounded thread pool, serving {@link V2Routes}. Like the
 * gRPC server it listens before the model is ready ({@code /v2/health/ready} says 400 until {@link #serve}),
 * and stops taking requests first at shutdown.
 *
 * <p>Bodies are read without blocking a thread, up to the server's message limit (--max-message-bytes):
 * a longer one is refused with 413 before it is read whole. Inference completes on the pipeline's threads,
 * which write the response; no Jetty thread waits for an engine.
 */
public final class KServeHttpServer implements AutoCloseable {
  /** Jetty needs a few threads for itself (acceptor, selector); the rest handle requests, never for long. */
  private static final int THREADS = 16;

  private final Server server;
  private final ServerConnector connector;
  private final AtomicReference<ModelEndpoint> model = new AtomicReference<>();

  private KServeHttpServer(String host, int port, ServerLimits limits, ServerMetrics metrics,
      TokenAuthenticator tokens, HttpTls tls) {
    QueuedThreadPool threads = new QueuedThreadPool(THREADS, 2);
    threads.setName("http");
    threads.setDaemon(true);
    server = new Server(threads);
    HttpConfiguration configuration = new HttpConfiguration();
    HttpConnectionFactory http = new HttpConnectionFactory(configuration);
    if (tls == null) {
      connector = new ServerConnector(server, 1, 1, http);
    } else {
      // false: no check of the request's host name against the certificate's names (see HttpTls).
      configuration.addCustomizer(new SecureRequestCustomizer(false));
      connector = new ServerConnector(server, 1, 1,
          new SslConnectionFactory(tls.contextFactory(), http.getProtocol()), http);
    }
    connector.setHost(host);
    connector.setPort(port);
    server.addConnector(connector);
    // Graceful: at stop, requests in flight finish (within the stop timeout) before connections close.
    server.setHandler(new GracefulHandler(
        new V2Handler(new V2Routes(model::get, metrics, System::nanoTime, tokens), limits.maxMessageBytes())));
  }

  /**
   * Starts listening.
   *
   * @param port the port; 0 picks a free one
   * @param metrics told every request's route and outcome, as the gRPC calls are
   * @throws Exception when the port cannot be bound
   */
  public static KServeHttpServer start(String host, int port, ServerLimits limits, ServerMetrics metrics)
      throws Exception {
    return start(host, port, limits, metrics, null);
  }

  /**
   * Starts listening, wanting a bearer token on every route but health when {@code tokens} is not null.
   *
   * @param tokens the same authenticator as the gRPC server's, or null for none
   */
  public static KServeHttpServer start(String host, int port, ServerLimits limits, ServerMetrics metrics,
      TokenAuthenticator tokens) throws Exception {
    return start(host, port, limits, metrics, tokens, null);
  }

  /**
   * Starts listening, over TLS when {@code tls} is not null (HTTPS only: a plaintext request fails its
   * handshake), wanting a bearer token on every route but health when {@code tokens} is not null.
   *
   * @param tls the port's TLS, from the same files as the gRPC port's, or null for plaintext
   */
  public static KServeHttpServer start(String host, int port, ServerLimits limits, ServerMetrics metrics,
      TokenAuthenticator tokens, HttpTls tls) throws Exception {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("the HTTP port must be within 0..65535, not " + port);
    }
    KServeHttpServer http = new KServeHttpServer(host, port, limits, metrics, tokens, tls);
    http.server.start();
    return http;
  }

  /** The port listened on (the real one when 0 was asked for). */
  public int port() {
    return connector.getLocalPort();
  }

  /** Serves {@code ready} from now on: health turns ready and the model routes answer. */
  public void serve(ModelEndpoint ready) {
    model.set(ready);
  }

  /**
   * Stops answering as ready and stops listening; requests in flight get {@code grace} to finish, then
   * their connections close.
   */
  public void shutdown(Duration grace) throws Exception {
    model.set(null);
    server.setStopTimeout(Math.max(1, grace.toMillis()));
    server.stop();
  }

  /** {@link #shutdown} with 5 s of grace. */
  @Override
  public void close() throws Exception {
    shutdown(Duration.ofSeconds(5));
  }

  /** Adapts Jetty's requests to {@link V2Routes}: reads the body (bounded), answers, writes the reply. */
  private static final class V2Handler extends Handler.Abstract.NonBlocking {
    private final V2Routes routes;
    private final int maxBodyBytes;

    V2Handler(V2Routes routes, int maxBodyBytes) {
      this.routes = routes;
      this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      long declared = request.getLength();
      if (declared > maxBodyBytes) {
        if (declared <= drainLimit()) {
          // Most clients write the whole body before they read: read it (and drop it) so that they see the 413
          // rather than a connection reset in the middle of their write, and the connection lives on.
          Content.Source.consumeAll(request, Callback.from(
              () -> write(response, callback, tooLarge(declared), false),
              failure -> write(response, callback, tooLarge(declared), true)));
        } else {
          write(response, callback, tooLarge(declared), true);
        }
        return true;
      }
      AtomicBoolean gone = new AtomicBoolean();
      request.addFailureListener(failure -> gone.set(true));
      Content.Source.asByteArrayAsync(request, maxBodyBytes).whenComplete((body, failure) -> {
        if (failure != null) {
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          // A body of unannounced length (chunked) that goes past the limit: Jetty's accumulator says "Max size
          // (N) exceeded" (KServeHttpEndToEndTest pins this, should a Jetty upgrade change it).
          boolean tooLong = cause instanceof BufferOverflowException
              || cause instanceof IllegalStateException && String.valueOf(cause.getMessage()).startsWith("Max size");
          // The rest of the body was not read: the connection cannot carry another request after it.
          write(response, callback, tooLong ? tooLarge(-1)
              : V2Reply.error(400, Status.Code.INVALID_ARGUMENT, "the request body could not be read: " + cause), true);
          return;
        }
        V2Request v2 = new V2Request(request.getMethod(), request.getHttpURI().getDecodedPath(),
            request.getHeaders().get("Inference-Header-Content-Length"), body,
            Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request), gone::get,
            request.getHeaders().get(HttpHeader.AUTHORIZATION));
        routes.handle(v2).whenComplete((reply, ignored) -> write(response, callback, reply, false));
      });
      return true;
    }

    /** The largest oversized body read to its end before the 413, rather than cut off: four times the limit. */
    private long drainLimit() {
      return 4L * maxBodyBytes;
    }

    private V2Reply tooLarge(long declared) {
      return V2Reply.error(413, Status.Code.RESOURCE_EXHAUSTED, "the request body is "
          + (declared >= 0 ? declared + " bytes" : "larger than that") + ", over the limit of " + maxBodyBytes
          + " bytes (--max-message-bytes)");
    }

    /** @param close true when the request's body was not read to its end: the connection must end with it */
    private static void write(Response response, Callback callback, V2Reply reply, boolean close) {
      response.setStatus(reply.status());
      if (close) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
      }
      if (reply.status() == 401) {
        response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
      }
      if (reply.contentType() != null) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, reply.contentType());
      }
      if (reply.retryAfterSeconds() >= 0) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, Long.toString(reply.retryAfterSeconds()));
      }
      if (reply.hasBinary()) {
        response.getHeaders().put("Inference-Header-Content-Length", Integer.toString(reply.jsonLength()));
      }
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, reply.body().length);
      response.write(true, ByteBuffer.wrap(reply.body()), callback);
    }
  }
}
