package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ModelRuntime;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
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

/** {@code mobiserve health} against real servers on loopback: one serving the digits model, one still loading. */
class HealthCommandTest {
  private static RunningServer serving;
  private static MobiserveServer loading;
  private static ExecutorService loadingHandlers;

  private record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void startServers() throws Exception {
    serving = new RunningServer(OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none()),
        m -> OrtEngine.open(m, new OrtEngineOptions(1, 4)), ModelRuntime.Options.defaults(), ServerLimits.DEFAULT);
    // Listening, no model yet: what serve looks like while it loads and warms up the model.
    loadingHandlers = Executors.newFixedThreadPool(2);
    loading = MobiserveServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
        ServerLimits.DEFAULT, loadingHandlers);
  }

  @AfterAll
  static void stopServers() throws Exception {
    serving.close();
    loading.shutdown(Duration.ZERO);
    loadingHandlers.shutdownNow();
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
  void health_ofAServingServer_printsServingAndExitsZero() {
    Run run = health("--target", "127.0.0.1:" + serving.port());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).isEqualTo("SERVING" + System.lineSeparator());
  }

  @Test
  void health_ofTheClassifyService_isServingOnceTheModelIs() {
    Run run = health("--target", "127.0.0.1:" + serving.port(), "--service", "mobiserve.v1.ClassifyService");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).startsWith("SERVING");
  }

  @Test
  void health_ofTheAcceleratedServiceOnTheCpu_isNotServingWithExitCodeOne() {
    Run run = health("--target", "127.0.0.1:" + serving.port(),
        "--service", MobiserveServer.ACCELERATED_SERVICE_NAME);

    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.out()).startsWith("NOT_SERVING");
  }

  @Test
  void health_ofAServerStillLoadingItsModel_isNotServingWithExitCodeOne() {
    Run run = health("--target", "127.0.0.1:" + loading.port());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.out()).startsWith("NOT_SERVING");
  }

  @Test
  void health_ofAnUnknownService_isServiceUnknownWithExitCodeOne() {
    Run run = health("--target", "127.0.0.1:" + serving.port(), "--service", "no.such.Service");

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
    Run run = health("--target", "127.0.0.1:" + serving.port(), "--timeout", "soon");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.CONFIGURATION);
    assertThat(run.err()).contains("--timeout").contains("soon");
  }
}
