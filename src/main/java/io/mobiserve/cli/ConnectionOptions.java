package io.mobiserve.cli;

import io.grpc.ManagedChannelBuilder;
import io.mobiserve.client.ClientChannels;
import io.mobiserve.security.CredentialFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How the client commands reach a server: TLS (with a client certificate for mutual TLS) and a bearer token.
 * The token comes from {@code --token}, else {@code --token-file}, else {@code MOBISERVE_TOKEN}, else the file
 * {@code MOBISERVE_TOKEN_FILE} names; the variables keep it off the command line, which other users of the
 * machine can read.
 */
final class ConnectionOptions {
  static final String TOKEN_VARIABLE = "MOBISERVE_TOKEN";
  static final String TOKEN_FILE_VARIABLE = "MOBISERVE_TOKEN_FILE";

  @Option(names = "--tls", description = "Speak TLS, checking the server's certificate against the JVM's public CAs (implied by the other --tls options).")
  boolean tls;

  @Option(names = "--tls-ca", paramLabel = "FILE", description = "Speak TLS and trust the server's certificate if these CA certificates (PEM) sign it.")
  Path ca;

  @Option(names = "--tls-cert", paramLabel = "FILE", description = "Client certificate chain (PEM) for mutual TLS, with --tls-key.")
  Path certificate;

  @Option(names = "--tls-key", paramLabel = "FILE", description = "The client certificate's private key (PEM).")
  Path key;

  @Option(names = "--tls-server-name", paramLabel = "NAME", description = "Check the server's certificate against NAME instead of the target's host.")
  String serverName;

  @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for every call (default: $" + TOKEN_VARIABLE + "; a flag is visible to other users in the process list).")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "Read the bearer token from FILE (default: $" + TOKEN_FILE_VARIABLE + ").")
  Path tokenFile;

  /**
   * A channel builder for {@code target} with these options.
   *
   * @throws ConfigurationException naming the option and what is wrong
   */
  ManagedChannelBuilder<?> channel(String target) {
    return channel(target, System.getenv());
  }

  ManagedChannelBuilder<?> channel(String target, Map<String, String> environment) {
    if ((certificate == null) != (key == null)) {
      throw new ConfigurationException(certificate == null
          ? "--tls-key needs --tls-cert (the certificate it belongs to)" : "--tls-cert needs --tls-key (its private key)");
    }
    ClientChannels.Security security = new ClientChannels.Security(tls, ca, certificate, key, serverName,
        token(environment));
    try {
      return ClientChannels.forTarget(target, security);
    } catch (CredentialFileException e) {
      String option = e.file().equals(ca) ? "--tls-ca" : e.file().equals(certificate) ? "--tls-cert" : "--tls-key";
      throw new ConfigurationException(option + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("--target: " + e.getMessage(), e);
    }
  }

  private String token(Map<String, String> environment) {
    if (token != null && tokenFile != null) {
      throw new ConfigurationException("give --token or --token-file, not both");
    }
    if (token != null) {
      return checked("--token", token.strip());
    }
    if (tokenFile != null) {
      return checked("--token-file " + tokenFile, read("--token-file", tokenFile));
    }
    String fromVariable = environment.get(TOKEN_VARIABLE);
    if (fromVariable != null && !fromVariable.isBlank()) {
      return checked(TOKEN_VARIABLE, fromVariable.strip());
    }
    String fileVariable = environment.get(TOKEN_FILE_VARIABLE);
    if (fileVariable != null && !fileVariable.isBlank()) {
      return checked(TOKEN_FILE_VARIABLE + "=" + fileVariable, read(TOKEN_FILE_VARIABLE, Path.of(fileVariable.strip())));
    }
    return null;
  }

  /** The file's first line that is neither blank nor a # comment. */
  private static String read(String source, Path file) {
    try {
      return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
          .map(String::strip)
          .filter(line -> !line.isEmpty() && !line.startsWith("#"))
          .findFirst()
          .orElseThrow(() -> new ConfigurationException(source + " " + file + ": no token in it"));
    } catch (NoSuchFileException e) {
      throw new ConfigurationException(source + " " + file + ": no such file", e);
    } catch (IOException e) {
      throw new ConfigurationException(source + " " + file + ": cannot be read: " + e, e);
    }
  }

  private static String checked(String source, String value) {
    if (value.isEmpty() || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ConfigurationException(source + ": a token must be printable ASCII without spaces");
    }
    return value;
  }
}
