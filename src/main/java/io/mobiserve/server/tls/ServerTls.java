package io.mobiserve.server.tls;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.security.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS for the gRPC port, and mutual TLS when a client CA is given, from PEM files that are read again when
 * they change (cert-manager renews a certificate by replacing its Secret's files).
 *
 * <p>The certificate and key live in grpc-java's {@link AdvancedTlsX509KeyManager}, which Netty asks at every
 * handshake: a new connection gets the certificate in force at that moment, while connections already open
 * (and their calls and streams) go on with the one they began with. The manager keeps the previous key for a
 * handshake that is halfway through a swap. The files are watched by {@link FileWatcher} rather than by the
 * managers' own file polling: that polls at most once a minute, reloads only when both files' modification
 * times changed, reads only PKCS#8 keys, and installs a key that does not match its certificate (every
 * handshake would then fail). Here a pair is installed only once both files are readable, match, and the
 * certificate is in date; otherwise the previous pair keeps serving and the log says why.
 *
 * <p>Client certificates are checked against the client CA's certificates only (the chain and its dates), not
 * against a host name: clients have none to check.
 */
public final class ServerTls {
  private final ServerCredentials credentials;
  private final String description;

  private ServerTls(ServerCredentials credentials, String description) {
    this.credentials = credentials;
    this.description = description;
  }

  /**
   * Reads the files, checks them, and watches them for changes from now on.
   *
   * @param clientCa the CA certificates that sign the clients' certificates, or null for TLS without client
   *     certificates
   * @throws CredentialFileException naming the file that cannot be used and why
   */
  public static ServerTls load(Path certificate, Path key, Path clientCa, FileWatcher watcher)
      throws CredentialFileException {
    PemFiles.CertifiedKey identity = PemFiles.certifiedKey(certificate, key);
    AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
    keys.updateIdentityCredentials(identity.chain(), identity.key());
    TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder().keyManager(keys);
    X509Certificate served = identity.chain()[0];
    String description = "certificate " + PemFiles.subject(served) + " (until " + served.getNotAfter().toInstant()
        + ")";
    AdvancedTlsX509TrustManager trust = null;
    if (clientCa != null) {
      X509Certificate[] authorities = PemFiles.certificates(clientCa);
      trust = trustManager();
      trust(trust, clientCa, authorities);
      tls.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      List<String> names = new ArrayList<>();
      for (X509Certificate authority : authorities) {
        names.add(PemFiles.subject(authority));
      }
      description += "; client certificates required, signed by " + String.join(" or ", names);
    }
    watcher.watch("TLS certificate and key", List.of(certificate, key), () -> {
      PemFiles.CertifiedKey next = PemFiles.certifiedKey(certificate, key);
      keys.updateIdentityCredentials(next.chain(), next.key());
    });
    if (trust != null) {
      AdvancedTlsX509TrustManager clients = trust;
      watcher.watch("client CA", List.of(clientCa), () -> trust(clients, clientCa, PemFiles.certificates(clientCa)));
    }
    return new ServerTls(tls.build(), description);
  }

  /** The server's credentials, for {@code NettyServerBuilder.forAddress(address, credentials)}. */
  public ServerCredentials credentials() {
    return credentials;
  }

  /** What is served, for the log: the certificate's subject and end, and who signs client certificates. */
  public String description() {
    return description;
  }

  private static AdvancedTlsX509TrustManager trustManager() {
    try {
      return AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION)
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("grpc-java's trust manager cannot be built: " + e, e);
    }
  }

  private static void trust(AdvancedTlsX509TrustManager trust, Path file, X509Certificate[] authorities)
      throws CredentialFileException {
    try {
      trust.updateTrustCredentials(authorities);
    } catch (IOException | GeneralSecurityException e) {
      throw new CredentialFileException(file, "the CA certificates cannot be used to check clients: " + e.getMessage());
    }
  }
}
