package io.mobiserve.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.testing.Scrape;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The KServe HTTP port with the same token file as the gRPC port: health open, the rest behind a token. */
class HttpTokenAuthenticationTest {
  private static final String TOKEN = "http-token-0123456789";

  @TempDir
  Path dir;

  private final PrometheusMetrics metrics = PrometheusMetrics.create();
  private final HttpClient client = HttpClient.newHttpClient();
  private KServeHttpServer http;

  @BeforeEach
  void start() throws Exception {
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(Files.writeString(dir.resolve("tokens"), "web:" + TOKEN));
    http = KServeHttpServer.start("127.0.0.1", 0, ServerLimits.DEFAULT, metrics, tokens);
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
  }

  private HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void health_isOpen_andEverythingElseNeedsAValidToken_with401AndOneMessage() throws Exception {
    HttpResponse<String> live = get("/v2/health/live", null);
    HttpResponse<String> missing = get("/v2", null);
    HttpResponse<String> wrong = get("/v2", "Bearer wrong-token-0123456789");
    HttpResponse<String> right = get("/v2", "Bearer " + TOKEN);

    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(missing.statusCode()).isEqualTo(401);
    assertThat(missing.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(missing.body()).contains("bearer token").doesNotContain(TOKEN);
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).isEqualTo(missing.body());
    assertThat(right.statusCode()).isEqualTo(200);
  }

  @Test
  void theTokensName_labelsTheRequestMetrics() throws Exception {
    get("/v2", "Bearer " + TOKEN);
    get("/v2", null);

    Scrape scrape = new Scrape(metrics.scrape());
    assertThat(scrape.get("mobiserve_requests_total", "method", "HTTP GET /v2", "caller", "web", "code", "OK"))
        .isEqualTo(1);
    assertThat(scrape.get("mobiserve_requests_total", "method", "HTTP GET /v2", "caller", "unauthenticated",
        "code", "UNAUTHENTICATED")).isEqualTo(1);
  }
}
