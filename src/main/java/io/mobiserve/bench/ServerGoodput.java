package io.mobiserve.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * A server's goodput counts, scraped from its Prometheus endpoint: {@code mobiserve_images_total} (summed
 * over backends) and {@code mobiserve_images_discarded_total}.
 */
public final class ServerGoodput implements GoodputSource {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI metrics;

  /** @param metrics the server's metrics URL, e.g. {@code http://localhost:9090/metrics} */
  public ServerGoodput(URI metrics) {
    this.metrics = metrics;
  }

  @Override
  public Optional<Counts> read() {
    try {
      HttpResponse<String> response = http.send(
          HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      return Optional.of(new Counts(sum(response.body(), "mobiserve_images_total"),
          sum(response.body(), "mobiserve_images_discarded_total")));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** The sum of every sample named exactly {@code name}, whatever its labels, in the text format. */
  static long sum(String text, String name) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(name) && line.length() > name.length()
          && (line.charAt(name.length()) == '{' || line.charAt(name.length()) == ' ')) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Math.round(total);
  }
}
