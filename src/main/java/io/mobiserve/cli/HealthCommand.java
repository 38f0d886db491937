package io.mobiserve.cli;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mobiserve health}: one {@code grpc.health.v1.Health/Check} call, for container health checks and
 * scripts. Prints the status and exits 0 only when it is SERVING; 1 for any other answer (NOT_SERVING while
 * the model loads or the server drains, SERVICE_UNKNOWN for a name the server does not know, an error
 * status); {@value ExitCodes#UNREACHABLE} when no answer came in time (nothing listening, connection refused,
 * timeout, a TLS handshake that failed), so that a script can tell "down" from "not ready". Speaks TLS with the
 * same options as {@code classify}, or asks a server's plaintext {@code --health-port}.
 */
@Command(
    name = "health",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Ask a server's gRPC health service whether it is SERVING; exit 0 only if it is.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
        "0:SERVING",
        "1:any other answer (NOT_SERVING, SERVICE_UNKNOWN, an error status)",
        "2:bad usage",
        "3:no answer (unreachable, refused, timed out)"})
final class HealthCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--target", defaultValue = "localhost:8500", description = "Server address: its gRPC port, or its"
      + " --health-port (plaintext even when the gRPC port is TLS) (default: ${DEFAULT-VALUE}).")
  String target;

  @Mixin
  ConnectionOptions connection;

  @Option(names = "--service", defaultValue = "", paramLabel = "NAME",
      description = "Health service name: \"\" for the server as a whole, mobiserve.v1.ClassifyService for the model,"
          + " mobiserve.v1.ClassifyService/accelerated for the GPU (default: the server as a whole).")
  String service;

  @Option(names = "--timeout", defaultValue = "5s", converter = DurationConverter.class,
      description = "How long to wait for the answer, e.g. 5s or 500ms (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws InterruptedException {
    if (timeout.isZero()) {
      throw new ConfigurationException("--timeout must be more than 0");
    }
    ManagedChannel channel = connection.channel(target).build();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String name = service.isEmpty() ? "the server" : "service " + service;
    try {
      ServingStatus status = HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build())
          .getStatus();
      out.println(status);
      out.flush();
      return status == ServingStatus.SERVING ? ExitCodes.OK : ExitCodes.FAILED;
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      String detail = status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription());
      if (status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
        out.println("UNREACHABLE");
        out.flush();
        err.println("error: no health answer from " + target + " (timeout " + timeout.toMillis() + " ms): " + detail);
        return ExitCodes.UNREACHABLE;
      }
      // NOT_FOUND is the health service's answer for a name it has no status for.
      out.println(status.getCode() == Status.Code.NOT_FOUND ? ServingStatus.SERVICE_UNKNOWN : status.getCode());
      out.flush();
      err.println("error: " + target + " answered the health check for " + name + " with " + detail);
      return ExitCodes.FAILED;
    } finally {
      channel.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
    }
  }
}
