package io.mobiserve.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.metrics.ServerMetrics;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.testing.TestCertificates;
import io.mobiserve.testing.TestCertificates.Issued;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KServe HTTP port over TLS on a real Jetty on loopback, with certificates made in the test and clients that
 * are the JDK's own HttpClient: who gets through, tokens on top of TLS, mutual TLS, and certificate rotation.
 */
class HttpsEndToEndTest {
  private static final Issued CA = TestCertificates.authority("CN=Test CA");
  private static final Issued OTHER_CA = TestCertificates.authority("CN=Other CA");
  private static final String TOKEN = "https-token-0123456789";
  private static final Duration RELOAD = Duration.ofMillis(50);

  @TempDir
  Path dir;

  private final FileWatcher watcher = FileWatcher.every(RELOAD);
  private KServeHttpServer http;
  private Path certFile;
  private Path keyFile;

  @AfterEach
  void stop() throws Exception {
    if (http != null) {
      http.close();
    }
    watcher.close();
  }

  private void start(Issued serverCertificate, Issued clientCa) throws Exception {
    certFile = serverCertificate.writeCertificate(dir.resolve("tls.crt"));
    keyFile = serverCertificate.writeTraditionalKey(dir.resolve("tls.key"));
    Path clientCaFile = clientCa == null ? null : clientCa.writeCertificate(dir.resolve("client-ca.crt"));
    TokenAuthenticator tokens = TokenAuthenticator.fromFile(Files.writeString(dir.resolve("tokens"), "web:" + TOKEN));
    http = KServeHttpServer.start("127.0.0.1", 0, ServerLimits.DEFAULT, ServerMetrics.DISABLED, tokens,
        HttpTls.load(certFile, keyFile, clientCaFile, watcher));
  }

  /** A client that trusts {@code ca}, presenting {@code certificate} when it is not null. */
  private HttpClient client(Issued ca, Issued certificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    KeyManagerFactory keys = null;
    if (certificate != null) {
      KeyStore identity = KeyStore.getInstance("PKCS12");
      identity.load(null, null);
      identity.setKeyEntry("me", certificate.keys().getPrivate(), new char[0],
          new X509Certificate[] {certificate.certificate()});
      keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(identity, new char[0]);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private HttpResponse<String> get(HttpClient client, String scheme, String path, String token) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + http.port() + path))
        .timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String servedSubject(HttpResponse<?> response) throws Exception {
    X509Certificate served = (X509Certificate) response.sslSession().orElseThrow().getPeerCertificates()[0];
    return served.getSubjectX500Principal().getName();
  }

  @Test
  void aClientThatTrustsTheCa_isServedOverHttps_andStillNeedsTheToken() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);
    HttpClient client = client(CA, null);

    HttpResponse<String> health = get(client, "https", "/v2/health/live", null);
    HttpResponse<String> withoutToken = get(client, "https", "/v2", null);
    HttpResponse<String> withToken = get(client, "https", "/v2", TOKEN);

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(servedSubject(health)).isEqualTo("CN=server");
    assertThat(withoutToken.statusCode()).isEqualTo(401);
    assertThat(withToken.statusCode()).isEqualTo(200);
  }

  @Test
  void plainHttpToTheHttpsPort_fails() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    assertThatThrownBy(() -> get(plain, "http", "/v2/health/live", null)).isInstanceOf(IOException.class);
  }

  @Test
  void aClientThatTrustsAnotherCa_fails() throws Exception {
    start(TestCertificates.server(CA, "CN=server"), null);

    assertThatThrownBy(() -> get(client(OTHER_CA, null), "https", "/v2/health/live", null))
        .isInstanceOf(IOException.class)
        .hasRootCauseInstanceOf(java.security.cert.CertPathBuilderException.class);
  }

  @Test
  void withAClientCa_aClientCertificateItSigned_isRequired() throws Exception {
    Issued clientCa = TestCertificates.authority("CN=Client CA");
    start(TestCertificates.server(CA, "CN=server"), clientCa);

    HttpResponse<String> signed = get(client(CA, TestCertificates.client(clientCa, "web")), "https", "/v2", TOKEN);

    assertThat(signed.statusCode()).isEqualTo(200);
    assertThatThrownBy(() -> get(client(CA, null), "https", "/v2/health/live", null))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> get(client(CA, TestCertificates.client(OTHER_CA, "web")), "https", "/v2/health/live",
        null)).isInstanceOf(IOException.class);
  }

  @Test
  void newFiles_serveTheNewCertificateToNewConnections_whileAnOpenConnectionKeepsItsOwn() throws Exception {
    start(TestCertificates.server(CA, "CN=first"), null);
    HttpClient early = client(CA, null);
    assertThat(servedSubject(get(early, "https", "/v2/health/live", null))).isEqualTo("CN=first");

    Issued second = TestCertificates.server(CA, "CN=second");
    second.writeKey(keyFile);
    second.writeCertificate(certFile);

    String subject = "CN=first";
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (subject.equals("CN=first") && System.nanoTime() < deadline) {
      Thread.sleep(RELOAD.toMillis());
      HttpClient fresh = client(CA, null); // a new client: a new connection, a new handshake
      subject = servedSubject(get(fresh, "https", "/v2/health/live", null));
    }
    assertThat(subject).isEqualTo("CN=second");
    // The early client's kept-alive connection was made with the first certificate, and goes on with it.
    HttpResponse<String> onTheOldConnection = get(early, "https", "/v2", TOKEN);
    assertThat(onTheOldConnection.statusCode()).isEqualTo(200);
    assertThat(servedSubject(onTheOldConnection)).isEqualTo("CN=first");
  }

  @Test
  void aKeyThatDoesNotMatchItsCertificate_isNotTakenUp_andTheOldPairKeepsServing() throws Exception {
    start(TestCertificates.server(CA, "CN=first"), null);

    TestCertificates.server(CA, "CN=other").writeKey(keyFile); // a rotation caught halfway: the key, not yet its certificate
    Thread.sleep(10 * RELOAD.toMillis());

    HttpResponse<String> response = get(client(CA, null), "https", "/v2/health/live", null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(servedSubject(response)).isEqualTo("CN=first");
  }
}
