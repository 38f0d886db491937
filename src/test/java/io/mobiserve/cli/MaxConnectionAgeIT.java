package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.MobiserveJar;
import io.mobiserve.testing.MobiserveJar.Run;
import io.mobiserve.testing.Scrape;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code MOBISERVE_MAX_CONNECTION_AGE=1s}: the server sends GOAWAY on each connection after about a second, so
 * one client's channel opens several connections over a few seconds of calls, and no call fails for it; a stream
 * longer than the age is not cut (the grace is unbounded by default).
 */
class MaxConnectionAgeIT {
  private static final String CONNECTIONS = "mobiserve_grpc_connections_opened_total";

  @TempDir
  static Path work;

  private static MobiserveJar.Server server;

  @BeforeAll
  static void startServer() throws Exception {
    server = MobiserveJar.serve(work.resolve("server.log"), Map.of("MOBISERVE_MAX_CONNECTION_AGE", "1s"),
        "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--model", DigitsFixture.model().toString(),
        "--instances", "1", "--threads", "1", "--shutdown-grace", "2");
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.kill();
    }
  }

  private static double connectionsOpened() throws Exception {
    return new Scrape(server.metrics()).value(CONNECTIONS).orElse(0.0);
  }

  @Test
  void serve_logsTheAge() throws Exception {
    assertThat(java.nio.file.Files.readString(server.log())).contains("max_connection_age=1s grace=unbounded");
  }

  @Test
  void oneChannelCallingForFourSeconds_isMovedToNewConnectionsWithoutAFailedCall() throws Exception {
    double before = connectionsOpened();

    // bench keeps one channel; without a maximum age it would open exactly one connection. It exits 1 on any error.
    Run bench = MobiserveJar.run(work, Map.of(), "bench", "--target", "127.0.0.1:" + server.port(),
        "--concurrency", "2", "--warmup", "0s", "--duration", "4s", "--window", "1s", "--max-extension", "0s",
        "--input", "tensor");

    assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
    assertThat(connectionsOpened() - before).as("connections the bench opened").isGreaterThanOrEqualTo(3);
  }

  @Test
  void aStreamLongerThanTheAge_runsToItsEnd() throws Exception {
    Run bench = MobiserveJar.run(work, Map.of(), "bench", "--target", "127.0.0.1:" + server.port(),
        "--streams", "1", "--fps", "20", "--warmup", "0s", "--duration", "3s", "--window", "1s",
        "--max-extension", "0s", "--input", "tensor");

    assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
    assertThat(new Scrape(server.metrics()).get("mobiserve_requests_total", "method",
        "mobiserve.v1.ClassifyService/ClassifyStream", "code", "OK")).isEqualTo(1);
  }

  @Test
  void serve_refusesAnAgeUnderASecond_andAGraceWithoutAnAge() throws Exception {
    Run tooShort = MobiserveJar.run(work, Map.of(), "serve", "--port", "0", "--model", DigitsFixture.model().toString(),
        "--max-connection-age", "500ms");
    Run graceAlone = MobiserveJar.run(work, Map.of("MOBISERVE_MAX_CONNECTION_AGE_GRACE", "30s"), "serve", "--port", "0",
        "--model", DigitsFixture.model().toString());

    assertThat(tooShort.exitCode()).isEqualTo(2);
    assertThat(tooShort.err()).startsWith("error: --max-connection-age must be at least 1s (or 0 for off), not 500ms");
    assertThat(graceAlone.exitCode()).isEqualTo(2);
    assertThat(graceAlone.err()).contains("\nerror: --max-connection-age-grace needs --max-connection-age");
  }
}
