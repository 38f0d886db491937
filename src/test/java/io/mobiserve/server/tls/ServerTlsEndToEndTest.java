package io.mobiserve.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.client.ClientChannels;
import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.testing.TestCertificates;
import io.mobiserve.testing.TestCertificates.Issued;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mutual TLS on a real Netty server on loopback, with certificates made in the test: who gets through,
 * who does not, and certificate rotation while calls and a stream are running.
 */
class ServerTlsEndToEndTest {
  private static final Issued CA = TestCertificates.authority("CN=Test CA");
  private static final Issued OTHER_CA = TestCertificates.authority("CN=Other CA");
  private static final Duration RELOAD = Duration.ofMillis(50);

  @TempDir
  Path dir;

  private final ExecutorService handlers = Executors.newFixedThreadPool(4);
  private final FileWatcher watcher = FileWatcher.every(RELOAD);
  private final List<ManagedChannel> channels = new ArrayList<>();
  private MobiserveServer server;
  private int port;
  private Path certFile;
  private Path keyFile;

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    if (server != null) {
      server.shutdown(Duration.ofSeconds(1));
    }
    watcher.close();
    handlers.shutdownNow();
  }

  private void start(Issued serverCertificate, Path clientCa) throws Exception {
    certFile = serverCertificate.writeCertificate(dir.resolve("tls.crt"));
    keyFile = serverCertificate.writeTraditionalKey(dir.resolve("tls.key"));
    ServerTls tls = ServerTls.load(certFile, keyFile, clientCa, watcher);
    server = MobiserveServer.start(
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.credentials()),
        ServerLimits.DEFAULT, handlers, ServerMetrics.DISABLED, MobiserveServer.Access.OPEN);
    port = server.port();
  }

  private ManagedChannel channel(ClientChannels.Security security) throws CredentialFileException {
    ManagedChannel channel = ClientChannels.forTarget("127.0.0.1:" + port, security).build();
    channels.add(channel);
    return channel;
  }

  private ClientChannels.Security trusting(Issued... authorities) throws Exception {
    Path bundle = Files.createTempFile(dir, "ca", ".pem");
    StringBuilder pem = new StringBuilder();
    for (Issued authority : authorities) {
      pem.append(TestCertificates.pem(authority.certificate()));
    }
    Files.writeString(bundle, pem);
    return new ClientChannels.Security(true, bundle, null, null, null, null);
  }

  private ClientChannels.Security withClientCertificate(ClientChannels.Security security, Issued client)
      throws Exception {
    Path cert = client.writeCertificate(Files.createTempFile(dir, "client", ".crt"));
    Path key = client.writeKey(Files.createTempFile(dir, "client", ".key"));
    return new ClientChannels.Security(true, security.ca(), cert, key, null, null);
  }

  private static Status check(ManagedChannel channel) {
    try {
      HealthCheckResponse response = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      // No model is served here: NOT_SERVING is the server's own answer, proof that the call got through.
      assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Test
  void aClientThatTrustsTheCa_isServedOverTls() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);

    assertThat(check(channel(trusting(CA))).getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void plaintextToTheTlsPort_fails() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);

    assertThat(check(channel(ClientChannels.Security.PLAINTEXT)).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
  }

  @Test
  void aClientThatTrustsAnotherCa_fails() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);

    Status status = check(channel(trusting(OTHER_CA)));

    assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(status.getCause()).hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
  }

  @Test
  void mutualTls_refusesAClientWithoutACertificateOrWithOneFromAnotherCa_andServesOneFromTheClientCa()
      throws Exception {
    start(TestCertificates.server(CA, "CN=server"), CA.writeCertificate(dir.resolve("clients-ca.crt")));

    Status without = check(channel(trusting(CA)));
    Status foreign = check(channel(withClientCertificate(trusting(CA), TestCertificates.client(OTHER_CA, "mallory"))));
    Status signed = check(channel(withClientCertificate(trusting(CA), TestCertificates.client(CA, "camera-7"))));

    assertThat(without.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(foreign.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(signed.getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void rotation_newConnectionsGetTheNewCertificate_whileCallsAndAStreamOnTheOldConnectionGoOn() throws Exception {
    start(TestCertificates.server(CA, "CN=first"), null);
    ManagedChannel established = channel(trusting(CA, OTHER_CA));
    assertThat(check(established).getCode()).isEqualTo(Status.Code.OK);
    // A stream that lives through the rotation: Watch answers now and stays open.
    AtomicReference<Throwable> streamFailure = new AtomicReference<>();
    AtomicInteger streamAnswers = new AtomicInteger();
    HealthGrpc.newStub(established).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse value) {
        streamAnswers.incrementAndGet();
      }

      @Override
      public void onError(Throwable t) {
        streamFailure.set(t);
      }

      @Override
      public void onCompleted() {}
    });
    // Calls on the established connection all through the rotation.
    AtomicInteger failedCalls = new AtomicInteger();
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<Void> stop = new CompletableFuture<>();
    CompletableFuture<Void> caller = CompletableFuture.runAsync(() -> {
      while (!stop.isDone()) {
        calls.incrementAndGet();
        if (!check(established).isOk()) {
          failedCalls.incrementAndGet();
        }
      }
    });

    // As Kubernetes updates a Secret: the new files appear at once, by rename.
    Issued second = TestCertificates.server(OTHER_CA, "CN=second");
    Files.move(second.writeCertificate(dir.resolve("new.crt")), certFile, StandardCopyOption.ATOMIC_MOVE);
    Files.move(second.writeTraditionalKey(dir.resolve("new.key")), keyFile, StandardCopyOption.ATOMIC_MOVE);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!check(channel(trusting(OTHER_CA))).isOk()) {
      assertThat(System.nanoTime()).as("the new certificate was never served").isLessThan(deadline);
      Thread.sleep(RELOAD.toMillis());
    }
    Thread.sleep(5 * RELOAD.toMillis());
    stop.complete(null);
    caller.get(20, TimeUnit.SECONDS);

    assertThat(check(channel(trusting(CA))).getCode()).as("a new connection trusting only the old CA")
        .isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(calls.get()).isGreaterThan(5);
    assertThat(failedCalls.get()).isZero();
    assertThat(streamFailure.get()).isNull();
    assertThat(streamAnswers.get()).isEqualTo(1);
  }

  @Test
  void rotationToAKeyThatDoesNotMatch_keepsServingTheOldCertificate() throws Exception {
    start(TestCertificates.server(CA, "CN=first"), null);
    Issued second = TestCertificates.server(OTHER_CA, "CN=second");
    Issued third = TestCertificates.server(OTHER_CA, "CN=third");

    second.writeCertificate(certFile);
    third.writeKey(keyFile);
    Thread.sleep(10 * RELOAD.toMillis());

    assertThat(check(channel(trusting(CA))).getCode()).isEqualTo(Status.Code.OK);
  }

  @Test
  void theHealthPort_answersInPlaintextBesideTheTlsPort_andServesNothingElse() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);
    int healthPort = server.listenForHealth(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)));
    ManagedChannel probe = ClientChannels.forTarget("127.0.0.1:" + healthPort, ClientChannels.Security.PLAINTEXT).build();
    channels.add(probe);

    Status health = check(probe);
    StatusRuntimeException classify = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClassifyServiceGrpc.newBlockingStub(probe).withDeadlineAfter(10, TimeUnit.SECONDS)
            .getModelInfo(GetModelInfoRequest.getDefaultInstance()));

    assertThat(health.getCode()).isEqualTo(Status.Code.OK);
    assertThat(classify.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  @Test
  void load_refusesAKeyThatDoesNotMatchNamingTheKeyFile() throws Exception {
    Path cert = TestCertificates.server(CA, "CN=server").writeCertificate(dir.resolve("a.crt"));
    Path key = TestCertificates.server(CA, "CN=other").writeKey(dir.resolve("b.key"));

    assertThatThrownBy(() -> ServerTls.load(cert, key, null, watcher))
        .isInstanceOf(CredentialFileException.class)
        .hasMessageStartingWith(key + ": this private key does not belong to the certificate in " + cert);
  }
}
