package io.mobiserve.server.http;

import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.security.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * TLS for the KServe HTTP port, and mutual TLS when a client CA is given, from the same PEM files as the gRPC
 * port's, read again when they change.
 *
 * <p>Jetty takes keys and trusted certificates as {@link KeyStore}s: the PEM files are read with {@link PemFiles}
 * (so the same key encodings work and the same errors name the file) into key stores that live in memory only,
 * under a random password that never leaves this object. When {@link FileWatcher} sees the files change, a new
 * pair that reads, matches and is in date replaces the old one through {@link SslContextFactory#reload}: new
 * connections get the new certificate, connections already open keep theirs. A pair that cannot be used is
 * logged by the watcher and the previous one keeps serving, as on the gRPC port.
 *
 * <p>The server serves one certificate whatever name the client asked for (as the gRPC port does): the host
 * name a request names is not checked against it, the client checks the certificate.
 */
public final class HttpTls {
  private final SslContextFactory.Server factory;
  private final boolean clientCertificates;

  private HttpTls(SslContextFactory.Server factory, boolean clientCertificates) {
    this.factory = factory;
    this.clientCertificates = clientCertificates;
  }

  /**
   * Reads the files, checks them, and watches them for changes from now on.
   *
   * @param clientCa the CA certificates that sign the clients' certificates, or null for TLS without client
   *     certificates
   * @throws CredentialFileException naming the file that cannot be used and why
   */
  public static HttpTls load(Path certificate, Path key, Path clientCa, FileWatcher watcher)
      throws CredentialFileException {
    char[] password = randomPassword();
    SslContextFactory.Server factory = new SslContextFactory.Server();
    factory.setKeyStorePassword(new String(password));
    factory.setKeyStore(keyStore(PemFiles.certifiedKey(certificate, key), password, certificate));
    if (clientCa != null) {
      factory.setTrustStore(trustStore(PemFiles.certificates(clientCa), clientCa));
      factory.setNeedClientAuth(true);
    }
    watcher.watch("HTTP port's TLS certificate and key", List.of(certificate, key), () -> {
      KeyStore next = keyStore(PemFiles.certifiedKey(certificate, key), password, certificate);
      swap(factory, certificate, next, SslContextFactory::getKeyStore, SslContextFactory::setKeyStore);
    });
    if (clientCa != null) {
      watcher.watch("HTTP port's client CA", List.of(clientCa), () -> {
        KeyStore next = trustStore(PemFiles.certificates(clientCa), clientCa);
        swap(factory, clientCa, next, SslContextFactory::getTrustStore, SslContextFactory::setTrustStore);
      });
    }
    return new HttpTls(factory, clientCa != null);
  }

  /** Jetty's TLS settings for the connector; it starts and stops them with the server. */
  SslContextFactory.Server contextFactory() {
    return factory;
  }

  /** Whether clients must present a certificate signed by the client CA. */
  public boolean requiresClientCertificates() {
    return clientCertificates;
  }

  private static KeyStore keyStore(PemFiles.CertifiedKey identity, char[] password, Path file)
      throws CredentialFileException {
    try {
      KeyStore store = emptyStore();
      store.setKeyEntry("mobiserve", identity.key(), password, identity.chain());
      return store;
    } catch (GeneralSecurityException e) {
      throw new CredentialFileException(file, "the certificate and key cannot be used for TLS: " + e.getMessage());
    }
  }

  private static KeyStore trustStore(X509Certificate[] authorities, Path file) throws CredentialFileException {
    try {
      KeyStore store = emptyStore();
      for (int i = 0; i < authorities.length; i++) {
        store.setCertificateEntry("client-ca-" + i, authorities[i]);
      }
      return store;
    } catch (GeneralSecurityException e) {
      throw new CredentialFileException(file, "the CA certificates cannot be used to check clients: " + e.getMessage());
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try {
      store.load(null, null);
    } catch (IOException e) {
      throw new GeneralSecurityException(e);
    }
    return store;
  }

  /**
   * Puts {@code next} in place of the key store {@code current} reads, through {@code set}; if Jetty cannot load
   * it, puts the previous one back, so that the port goes on with what it had.
   */
  private static void swap(SslContextFactory.Server factory, Path file, KeyStore next,
      Function<SslContextFactory, KeyStore> current, BiConsumer<SslContextFactory, KeyStore> set)
      throws CredentialFileException {
    KeyStore previous = current.apply(factory);
    try {
      factory.reload(f -> set.accept(f, next));
    } catch (Exception e) {
      try {
        factory.reload(f -> set.accept(f, previous));
      } catch (Exception ignored) {
        // the failure below is what the log needs
      }
      throw new CredentialFileException(file, "Jetty could not take the new TLS settings: " + e);
    }
  }

  private static char[] randomPassword() {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    return Base64.getEncoder().encodeToString(random).toCharArray();
  }
}
