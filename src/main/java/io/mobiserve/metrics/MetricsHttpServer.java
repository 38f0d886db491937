package io.mobiserve.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.URI;

/**
 * Serves {@link PrometheusMetrics} at {@code /metrics} over plain HTTP, on a port of its own, with the
 * Prometheus client's exporter (which also answers {@code /-/healthy}). Scrapes run on the exporter's own
 * small thread pool, never on gRPC's threads.
 */
public final class MetricsHttpServer implements AutoCloseable {
  private final HTTPServer server;
  private final String host;

  private MetricsHttpServer(HTTPServer server, String host) {
    this.server = server;
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
    HTTPServer server = HTTPServer.builder()
        .hostname(host)
        .port(port)
        .registry(metrics.registry())
        .buildAndStart();
    return new MetricsHttpServer(server, host);
  }

  /** The port listened on (the real one when 0 was asked for). */
  public int port() {
    return server.getPort();
  }

  /** Where the metrics are scraped from, with a wildcard address shown as localhost. */
  public URI url() {
    boolean wildcard = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    String shown = wildcard ? "localhost" : host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return URI.create("http://" + shown + ":" + port() + "/metrics");
  }

  /** Stops listening and ends the scrape threads. */
  @Override
  public void close() {
    server.close();
  }
}
