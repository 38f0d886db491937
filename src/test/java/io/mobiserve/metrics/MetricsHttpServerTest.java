package io.mobiserve.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.testing.Scrape;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** /metrics over real HTTP, as Prometheus scrapes it. */
class MetricsHttpServerTest {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(URI uri) throws Exception {
    return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void metrics_areServedAsPrometheusTextOnAnEphemeralPort() throws Exception {
    PrometheusMetrics metrics = PrometheusMetrics.create();
    metrics.started("mobiserve.v1.ClassifyService/Classify");
    metrics.finished("mobiserve.v1.ClassifyService/Classify", "OK", 1_000_000);

    try (MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, metrics)) {
      assertThat(server.port()).isPositive();
      assertThat(server.url()).hasToString("http://127.0.0.1:" + server.port() + "/metrics");

      HttpResponse<String> response = get(server.url());

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
          type -> assertThat(type).startsWith("text/plain"));
      Scrape scrape = new Scrape(response.body());
      assertThat(scrape.get("mobiserve_requests_total", "code", "OK")).isEqualTo(1);
      assertThat(response.body()).contains("# TYPE mobiserve_batch_size histogram",
          "# TYPE mobiserve_queue_images gauge", "# TYPE mobiserve_dropped_images_total counter",
          "# TYPE mobiserve_request_duration_seconds histogram");
    }
  }

  @Test
  void openMetrics_isServedWhenTheScraperAsksForIt_andAProtobufAsk_getsText() throws Exception {
    try (MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, PrometheusMetrics.create())) {
      HttpResponse<String> open = http.send(HttpRequest.newBuilder(server.url())
          .header("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
          .build(), HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> proto = http.send(HttpRequest.newBuilder(server.url())
          .header("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
              + "encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3")
          .build(), HttpResponse.BodyHandlers.ofString());

      assertThat(open.statusCode()).isEqualTo(200);
      assertThat(open.headers().firstValue("Content-Type").orElse("")).startsWith("application/openmetrics-text");
      assertThat(open.body()).endsWith("# EOF\n");
      assertThat(proto.statusCode()).isEqualTo(200);
      assertThat(proto.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
      assertThat(proto.body()).contains("# TYPE mobiserve_queue_images gauge");
    }
  }

  @Test
  void close_stopsListening() throws Exception {
    MetricsHttpServer server = MetricsHttpServer.start("127.0.0.1", 0, PrometheusMetrics.create());
    URI url = server.url();
    server.close();

    assertThatThrownBy(() -> get(url)).isInstanceOf(ConnectException.class);
  }

  @Test
  void wildcardHost_isShownAsLocalhostInTheUrl() throws Exception {
    try (MetricsHttpServer server = MetricsHttpServer.start("0.0.0.0", 0, PrometheusMetrics.create())) {
      assertThat(server.url()).hasToString("http://localhost:" + server.port() + "/metrics");
    }
  }

  @Test
  void portOutOfRange_isRefusedNamingIt() {
    assertThatThrownBy(() -> MetricsHttpServer.start("127.0.0.1", 70000, PrometheusMetrics.create()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
  }
}
