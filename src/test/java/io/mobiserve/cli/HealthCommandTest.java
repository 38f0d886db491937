package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ServerLimits;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code mobiserve health} against a real server on loopback that listens but serves no model yet, as
 * {@code serve} does while it loads and warms up the model; nothing listening; bad usage. The answers of a
 * serving server (SERVING, exit 0) are checked from the jar, against {@code serve} itself, in {@link
 * MobiserveJarIT}.
 */
class HealthCommandTest {
  private static MobiserveServer loading;
  private static ExecutorService handlers;

  private record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void startServer() throws Exception {
    handlers = Executors.newFixedThreadPool(2);
    loading = MobiserveServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
        ServerLimits.DEFAULT, handlers);
  }

  @AfterAll
  static void stopServer() throws Exception {
    loading.shutdown(Duration.ZERO);
    handlers.shutdownNow();
  }

  private static Run health(String... args) {
    CommandLine line = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    line.setOut(new PrintWriter(out, true));
    line.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "health";
    System.arraycopy(args, 0, all, 1, args.length);
    int exitCode = line.execute(all);
    return new Run(exitCode, out.toString(), err.toString());
  }

  @Test
  void health_ofAServerStillLoadingItsModel_isNotServingWithExitCodeOne() {
    Run server = health("--target", "127.0.0.1:" + loading.port());
    Run model = health("--target", "127.0.0.1:" + loading.port(), "--service", "mobiserve.v1.ClassifyService");

    assertThat(server.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(server.out()).isEqualTo("NOT_SERVING" + System.lineSeparator());
    assertThat(server.err()).isEmpty();
    assertThat(model.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(model.out()).startsWith("NOT_SERVING");
  }

  @Test
  void health_ofAnUnknownService_isServiceUnknownWithExitCodeOne() {
    Run run = health("--target", "127.0.0.1:" + loading.port(), "--service", "no.such.Service");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.out()).startsWith("SERVICE_UNKNOWN");
    assertThat(run.err()).contains("no.such.Service");
  }

  @Test
  void health_withNothingListening_exitsWithTheUnreachableCodeNamingTheTarget() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    long start = System.nanoTime();

    Run run = health("--target", "127.0.0.1:" + closedPort, "--timeout", "2s");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.UNREACHABLE).isNotIn(ExitCodes.OK, ExitCodes.FAILED);
    assertThat(run.out()).startsWith("UNREACHABLE");
    assertThat(run.err()).contains("127.0.0.1:" + closedPort).contains("UNAVAILABLE");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void health_withABadTimeout_isBadUsage() {
    Run run = health("--target", "127.0.0.1:" + loading.port(), "--timeout", "soon");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.CONFIGURATION);
    assertThat(run.err()).contains("--timeout").contains("soon");
  }
}
