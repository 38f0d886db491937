package io.mobiserve.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mobiserve.runtime.DaemonThreads;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves {@link PrometheusMetrics} at {@code /metrics} over plain HTTP, on a port of its own, in the text
 * formats the Prometheus client writes: OpenMetrics when the scraper asks for it, else Prometheus' text
 * format (every Prometheus reads one of them). {@code /-/healthy} answers 200. Scrapes run on one thread of
 * its own, never on gRPC's.
 *
 * <p>The JDK's HTTP server rather than the client's exporter: the exporter brings the protobuf format
 * with a shaded copy of protobuf (1.8 MB of the jar), for scrapers that can read text anyway.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private static final ExpositionFormatWriter OPEN_METRICS = OpenMetricsTextFormatWriter.create();
  private static final ExpositionFormatWriter PROMETHEUS_TEXT = PrometheusTextFormatWriter.create();

  private final HttpServer server;
  private final ExecutorService scrapes;
  private final String host;

  private MetricsHttpServer(HttpServer server, ExecutorService scrapes, String host) {
    this.server = server;
    this.scrapes = scrapes;
    this.host = host;
  }

  /**
   * Starts listening.
   *
   * @param host the address to listen on
   * @param port the port; 0 picks a free one
   * @throws IOException when the port cannot be bound
   */
  public static MetricsHttpServer start(String host, int port, PrometheusMetrics metrics) throws IOException {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("the metrics port must be within 0..65535, not " + port);
    }
    HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
    ExecutorService scrapes = Executors.newSingleThreadExecutor(DaemonThreads.named("metrics-http"));
    server.setExecutor(scrapes);
    server.createContext("/metrics", exchange -> scrape(exchange, metrics));
    server.createContext("/-/healthy", exchange -> answer(exchange, 200, "text/plain; charset=utf-8",
        "Exporter is healthy.\n".getBytes(StandardCharsets.UTF_8)));
    server.start();
    return new MetricsHttpServer(server, scrapes, host);
  }

  private static void scrape(HttpExchange exchange, PrometheusMetrics metrics) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("GET") && !exchange.getRequestMethod().equals("HEAD")) {
        answer(exchange, 405, "text/plain; charset=utf-8", "use GET\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String accept = exchange.getRequestHeaders().getFirst("Accept");
      ExpositionFormatWriter writer = accept != null && accept.contains("application/openmetrics-text")
          ? OPEN_METRICS : PROMETHEUS_TEXT;
      ByteArrayOutputStream body = new ByteArrayOutputStream(16 << 10);
      writer.write(body, metrics.registry().scrape());
      answer(exchange, 200, writer.getContentType(), body.toByteArray());
    }
  }

  private static void answer(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", contentType);
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The port listened on (the real one when 0 was asked for). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** Where the metrics are scraped from, with a wildcard address shown as localhost. */
  public URI url() {
    boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    String shown = wildcard ? "localhost" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return URI.create("http://" + shown + ":" + port() + "/metrics");
  }

  /** Stops listening and ends the scrape thread. */
  @Override
  public void close() {
    server.stop(0);
    scrapes.shutdownNow();
  }
}
