package io.mobiserve.cli;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.FileWatcher;
import io.mobiserve.server.MobiserveServer;
import io.mobiserve.server.auth.TokenAuthenticator;
import io.mobiserve.server.http.HttpTls;
import io.mobiserve.server.tls.ServerTls;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code serve}'s TLS, token and reflection options; the files are read at start and again when they change. The
 * TLS files serve both the gRPC port and the KServe HTTP port.
 */
final class ServeSecurityOptions {
  private static final Logger log = LoggerFactory.getLogger(ServeSecurityOptions.class);

  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "Serve gRPC (and --http-port) over TLS with this certificate chain (PEM; with --tls-key). Re-read when it changes.")
  Path certificate;

  @Option(names = "--tls-key", paramLabel = "FILE",
      description = "The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1, unencrypted).")
  Path key;

  @Option(names = "--tls-client-ca", paramLabel = "FILE",
      description = "Require client certificates signed by these CA certificates (PEM): mutual TLS. Re-read when it changes.")
  Path clientCa;

  @Option(names = "--auth-tokens", paramLabel = "FILE",
      description = "Require 'authorization: Bearer TOKEN' on every call but health: one name:token or name:sha256:HEX"
          + " per line. Re-read when it changes.")
  Path tokens;

  @Option(names = "--reflection", arity = "0..1", fallbackValue = "true", defaultValue = "true", paramLabel = "true|false",
      description = "Serve gRPC server reflection, for tools such as grpcurl (default: ${DEFAULT-VALUE}).")
  boolean reflection;

  /**
   * Plaintext, or TLS from the files (watched by {@code watcher} from now on).
   *
   * @throws ConfigurationException naming the option and the file that cannot be used, and why
   */
  ServerCredentials credentials(FileWatcher watcher) {
    if (certificate == null && key == null) {
      if (clientCa != null) {
        throw new ConfigurationException("--tls-client-ca needs TLS: give --tls-cert and --tls-key too");
      }
      return InsecureServerCredentials.create();
    }
    if (certificate == null || key == null) {
      throw new ConfigurationException(certificate == null
          ? "--tls-key needs --tls-cert (the certificate it belongs to)" : "--tls-cert needs --tls-key (its private key)");
    }
    try {
      ServerTls tls = ServerTls.load(certificate, key, clientCa, watcher);
      log.info("TLS: {}", tls.description());
      return tls.credentials();
    } catch (CredentialFileException e) {
      throw new ConfigurationException(optionOf(e.file()) + ": " + e.getMessage(), e);
    }
  }

  /**
   * TLS for the KServe HTTP port from the same files as the gRPC port's (watched by {@code watcher} from now
   * on), or null when the gRPC port speaks plaintext.
   *
   * @throws ConfigurationException naming the option and the file that cannot be used, and why
   */
  HttpTls httpTls(FileWatcher watcher) {
    if (!tls()) {
      return null;
    }
    try {
      return HttpTls.load(certificate, key, clientCa, watcher);
    } catch (CredentialFileException e) {
      throw new ConfigurationException(optionOf(e.file()) + ": " + e.getMessage(), e);
    }
  }

  /** Who may call: the tokens from {@code --auth-tokens} (watched from now on), and reflection. */
  MobiserveServer.Access access(FileWatcher watcher) {
    if (tokens == null) {
      return new MobiserveServer.Access(null, reflection);
    }
    try {
      TokenAuthenticator authenticator = TokenAuthenticator.fromFile(tokens);
      authenticator.watch(watcher);
      log.info("tokens required on every call but health: {} from {}", authenticator.names(), tokens);
      return new MobiserveServer.Access(authenticator, reflection);
    } catch (CredentialFileException e) {
      throw new ConfigurationException("--auth-tokens: " + e.getMessage(), e);
    }
  }

  /** Whether the gRPC port is to speak TLS. */
  boolean tls() {
    return certificate != null;
  }

  private String optionOf(Path file) {
    return file.equals(certificate) ? "--tls-cert" : file.equals(key) ? "--tls-key" : "--tls-client-ca";
  }
}
