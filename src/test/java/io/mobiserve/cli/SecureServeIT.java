package io.mobiserve.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.client.ClientChannels;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.MobiserveJar;
import io.mobiserve.testing.MobiserveJar.Run;
import io.mobiserve.testing.Scrape;
import io.mobiserve.testing.TestCertificates;
import io.mobiserve.testing.TestCertificates.Issued;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jar serving with mutual TLS and tokens, set as a Kubernetes pod sets them (MOBISERVE_* variables), with a
 * plaintext health port, the KServe HTTP port over the same TLS, reflection off and the metrics port on an address
 * of its own, and its clients: classify and bench with a client certificate and a token, health on either port,
 * HTTPS with a client certificate and a token, and files that cannot be used refused at start with exit code 2.
 */
class SecureServeIT {
  private static final String TOKEN = "ci-token-0123456789abcdef";
  private static final Issued CA = TestCertificates.authority("CN=mobiserve test CA");

  @TempDir
  static Path work;

  private static MobiserveJar.Server server;
  private static int healthPort;
  private static int httpPort;
  private static Issued clientCertificate;
  private static ClientChannels.Security security;
  private static String[] tls;
  private static Path digit;

  @BeforeAll
  static void startServer() throws Exception {
    Issued serverCertificate = TestCertificates.server(CA, "CN=mobiserve");
    Issued client = TestCertificates.client(CA, "ci");
    Path ca = CA.writeCertificate(work.resolve("ca.crt"));
    Path tokens = Files.writeString(work.resolve("tokens"), "# callers\nci:" + TOKEN + "\n");
    server = MobiserveJar.serve(work.resolve("server.log"), Map.of(
            "MOBISERVE_TLS_CERT", serverCertificate.writeCertificate(work.resolve("tls.crt")).toString(),
            "MOBISERVE_TLS_KEY", serverCertificate.writeTraditionalKey(work.resolve("tls.key")).toString(),
            "MOBISERVE_TLS_CLIENT_CA", ca.toString(),
            "MOBISERVE_AUTH_TOKENS", tokens.toString(),
            "MOBISERVE_HEALTH_PORT", "0",
            "MOBISERVE_HTTP_PORT", "0",
            "MOBISERVE_REFLECTION", "false"),
        // The metrics port on an address of its own: Linux routes all of 127.0.0.0/8 to the loopback device.
        "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", "--metrics-host", "127.0.0.2",
        "--model", DigitsFixture.model().toString(), "--shutdown-grace", "5");
    healthPort = Integer.parseInt(server.logged(Pattern.compile("health only, plaintext, on \\S+:(\\d+)")));
    httpPort = Integer.parseInt(server.logged(
        Pattern.compile("KServe v2 HTTP on \\S+:(\\d+) over TLS, client certificates required")));
    clientCertificate = client;
    Path clientCrt = client.writeCertificate(work.resolve("client.crt"));
    Path clientKey = client.writeTraditionalKey(work.resolve("client.key"));
    security = new ClientChannels.Security(false, ca, clientCrt, clientKey, null, TOKEN);
    tls = new String[] {"--tls-ca", ca.toString(), "--tls-cert", clientCrt.toString(),
        "--tls-key", clientKey.toString()};
    digit = DigitsFixture.directory().resolve("heldout/0000_2.png");
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.kill();
    }
  }

  private static String[] args(String[] first, String... more) {
    String[] all = new String[first.length + more.length];
    System.arraycopy(first, 0, all, 0, first.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  private static String target() {
    return "127.0.0.1:" + server.port();
  }

  @Test
  void serve_logsWhatItServesAndWhoMayCall_neverTheTokens() throws Exception {
    String log = Files.readString(server.log());

    assertThat(log).contains("TLS: certificate CN=mobiserve (until ")
        .contains("client certificates required, signed by CN=mobiserve test CA")
        .contains("tokens required on every call but health: [ci]")
        .doesNotContain(TOKEN);
  }

  @Test
  void classify_withAClientCertificateAndTheTokenFromTheEnvironment_printsTheDigit() throws Exception {
    Run run = MobiserveJar.run(work, Map.of("MOBISERVE_TOKEN", TOKEN),
        args(new String[] {"classify", "--target", target(), "--top-k", "1"}, args(tls, digit.toString())));

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out().lines().toList()).hasSize(2).first().isEqualTo("0000_2.png");
    assertThat(run.out().lines().toList().get(1)).matches("  2\\s+[01]\\.\\d{4}");
    assertThat(new Scrape(server.metrics()).get("mobiserve_requests_total",
        "method", "mobiserve.v1.ClassifyService/Classify", "caller", "ci", "code", "OK")).isPositive();
  }

  @Test
  void classify_withTheTokenFromAFile_isServed_andWithoutAToken_isUnauthenticated() throws Exception {
    Path tokenFile = Files.writeString(work.resolve("my-token"), "# mine\n" + TOKEN + "\n");

    Run fromFile = MobiserveJar.run(work, Map.of(),
        args(new String[] {"classify", "--target", target(), "--token-file", tokenFile.toString()},
            args(tls, digit.toString())));
    Run without = MobiserveJar.run(work, Map.of(),
        args(new String[] {"classify", "--target", target()}, args(tls, digit.toString())));

    assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
    assertThat(without.exitCode()).isEqualTo(1);
    assertThat(without.err()).startsWith("error: UNAUTHENTICATED: ");
  }

  @Test
  void bench_withTheTlsOptionsAndATokenFile_getsOnlyOkAnswers() throws Exception {
    Path tokenFile = Files.writeString(work.resolve("bench-token"), TOKEN + "\n");
    Path report = work.resolve("bench.json");
    double okBefore = okCalls();

    Run bench = MobiserveJar.run(work, Map.of(), args(new String[] {"bench", "--target", target(),
        "--token-file", tokenFile.toString(), "--concurrency", "2", "--warmup", "1s", "--duration", "2s",
        "--window", "1s", "--max-extension", "0s", "--input", "tensor", "--json", report.toString()}, tls));

    assertThat(bench.exitCode()).as(bench.out() + bench.err()).isZero();
    JsonObject json = JsonParser.parseString(Files.readString(report)).getAsJsonObject();
    assertThat(json.get("totalErrors").getAsLong()).as(bench.out()).isZero();
    long requests = json.getAsJsonArray("steps").get(0).getAsJsonObject().get("requests").getAsLong();
    assertThat(requests).as(bench.out()).isPositive();
    // The warm-up's calls are served too, but not counted in the report.
    assertThat(okCalls() - okBefore).isGreaterThanOrEqualTo(requests);
  }

  private static double okCalls() throws Exception {
    return new Scrape(server.metrics()).value("mobiserve_requests_total",
        "method", "mobiserve.v1.ClassifyService/Classify", "caller", "ci", "code", "OK").orElse(0.0);
  }

  @Test
  void reflection_turnedOffByTheEnvironment_isUnimplemented_evenOverMutualTlsWithAValidToken() throws Exception {
    ManagedChannel channel = ClientChannels.forTarget(target(), security).build();
    try {
      // The same channel and token are served: the refusals below are reflection's, not the caller's.
      assertThat(ClassifyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
          .getModelInfo(GetModelInfoRequest.getDefaultInstance()).getName()).isEqualTo("digits-mobilenetv3-small");

      assertThat(reflectionStatus(channel, "grpc.reflection.v1.ServerReflection").getCode())
          .isEqualTo(Status.Code.UNIMPLEMENTED);
      assertThat(reflectionStatus(channel, "grpc.reflection.v1alpha.ServerReflection").getCode())
          .isEqualTo(Status.Code.UNIMPLEMENTED);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /**
   * How a ServerReflectionInfo call to {@code service} that asks for the list of services ends: OK when an answer
   * comes, else the call's status. v1alpha's messages are v1's on the wire, so one descriptor serves both names.
   */
  private static Status reflectionStatus(ManagedChannel channel, String service) {
    MethodDescriptor<ServerReflectionRequest, ServerReflectionResponse> method =
        ServerReflectionGrpc.getServerReflectionInfoMethod().toBuilder()
            .setFullMethodName(MethodDescriptor.generateFullMethodName(service, "ServerReflectionInfo"))
            .build();
    CompletableFuture<Status> ended = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ClientCalls.asyncBidiStreamingCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS)),
        new StreamObserver<ServerReflectionResponse>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            ended.complete(Status.OK);
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(Status.OK);
          }
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    Status status = ended.join();
    requests.onCompleted();
    return status;
  }

  @Test
  void metrics_listenOnTheMetricsHostOnly_notOnTheGrpcHost() throws Exception {
    URI url = URI.create(server.logged(Pattern.compile("metrics at (\\S+)")));
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> onMetricsHost = http.send(HttpRequest.newBuilder(url).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(url.getHost()).isEqualTo("127.0.0.2");
    assertThat(onMetricsHost.statusCode()).isEqualTo(200);
    assertThat(onMetricsHost.body()).contains("mobiserve_model_info");
    URI onGrpcHost = URI.create("http://127.0.0.1:" + url.getPort() + "/metrics");
    assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(onGrpcHost).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(ConnectException.class);
  }

  @Test
  void health_answersOnThePlaintextHealthPort_andOnTheTlsPortWithTheTlsOptions_butNotInPlaintextThere()
      throws Exception {
    Run probe = MobiserveJar.run(work, Map.of(), "health", "--target", "127.0.0.1:" + healthPort);
    Run overTls = MobiserveJar.run(work, Map.of(),
        args(new String[] {"health", "--target", target(), "--service", "mobiserve.v1.ClassifyService"}, tls));
    Run plaintext = MobiserveJar.run(work, Map.of(), "health", "--target", target(), "--timeout", "3s");

    assertThat(probe.exitCode()).as(probe.err()).isZero();
    assertThat(probe.out().strip()).isEqualTo("SERVING");
    assertThat(overTls.exitCode()).as(overTls.err()).isZero();
    assertThat(plaintext.exitCode()).isEqualTo(3);
  }

  @Test
  void serve_refusesACertificateKeyOrTokenFileItCannotUse_withExitCodeTwoNamingTheOptionAndFile()
      throws Exception {
    Path cert = TestCertificates.server(CA, "CN=a").writeCertificate(work.resolve("a.crt"));
    Path otherKey = TestCertificates.server(CA, "CN=b").writeKey(work.resolve("b.key"));
    Path badTokens = Files.writeString(work.resolve("bad-tokens"), "ci " + TOKEN + "\n");

    Run mismatched = MobiserveJar.run(work, Map.of(), "serve", "--port", "0", "--model",
        DigitsFixture.model().toString(), "--tls-cert", cert.toString(), "--tls-key", otherKey.toString());
    Run missingKey = MobiserveJar.run(work, Map.of(), "serve", "--port", "0", "--model",
        DigitsFixture.model().toString(), "--tls-cert", cert.toString());
    Run tokens = MobiserveJar.run(work, Map.of(), "serve", "--port", "0", "--model",
        DigitsFixture.model().toString(), "--auth-tokens", badTokens.toString());

    assertThat(mismatched.exitCode()).isEqualTo(2);
    assertThat(mismatched.err()).startsWith("error: --tls-key: " + otherKey
        + ": this private key does not belong to the certificate in " + cert);
    assertThat(missingKey.exitCode()).isEqualTo(2);
    assertThat(missingKey.err()).startsWith("error: --tls-cert needs --tls-key");
    assertThat(tokens.exitCode()).isEqualTo(2);
    assertThat(tokens.err()).startsWith("error: --auth-tokens: " + badTokens + ": line 1: ")
        .doesNotContain(TOKEN);
  }

  @Test
  void theKServeHttpPort_speaksTlsWithTheSameFiles_wantsTheClientCertificateAndTheToken() throws Exception {
    HttpClient withCertificate = https(clientCertificate);
    HttpClient withoutCertificate = https(null);
    URI models = URI.create("https://127.0.0.1:" + httpPort + "/v2/models/digits-mobilenetv3-small");

    HttpResponse<String> authorized = withCertificate.send(HttpRequest.newBuilder(models)
        .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> noToken = withCertificate.send(HttpRequest.newBuilder(models).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(authorized.statusCode()).as(authorized.body()).isEqualTo(200);
    assertThat(authorized.body()).contains("\"name\":\"digits-mobilenetv3-small\"");
    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThatThrownBy(() -> withoutCertificate.send(HttpRequest.newBuilder(models).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v2/health/live")).build(),
        HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
  }

  /** The JDK's HTTP client trusting the test CA, presenting {@code certificate} when it is not null. */
  private static HttpClient https(Issued certificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", CA.certificate());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    KeyStore identity = KeyStore.getInstance("PKCS12");
    identity.load(null, null);
    if (certificate != null) {
      identity.setKeyEntry("me", certificate.keys().getPrivate(), new char[0],
          new X509Certificate[] {certificate.certificate()});
    }
    keys.init(identity, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
  }
}
