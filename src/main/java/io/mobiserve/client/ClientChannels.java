package io.mobiserve.client;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.mobiserve.security.CredentialFileException;
import io.mobiserve.security.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Locale;
import java.util.concurrent.Executor;

/**
 * The channels of mobiserve's Java clients ({@code classify}, {@code bench}, {@code health}): plaintext or TLS
 * (with a client certificate for mutual TLS), a bearer token on every call, and round-robin over every server
 * a {@code dns:///} or {@code ipv4:} target names.
 *
 * <p>A {@code host:port} target keeps gRPC's default, pick_first: one connection to one server, what a
 * ClusterIP Service or a proxy in front wants. {@code dns:///host:port} resolves to every address of the name
 * (a headless Service's ready pods) and {@code ipv4:a:p,b:q} lists them; both get {@code round_robin}, which
 * keeps a connection to each and sends each call to the next, and re-resolves a DNS name when a connection
 * fails. A stream is one call: it stays on the server it began on.
 */
public final class ClientChannels {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** The buffers requests are written into, shared by every channel of this process (see forTarget). */
  private static final ByteBufAllocator BUFFERS = new AdaptiveByteBufAllocator();

  private ClientChannels() {}

  /**
   * How to reach the servers securely; every field may be null.
   *
   * @param tls TLS even without a CA file (the server's certificate checked against the JVM's public CAs)
   * @param ca the CA certificates that sign the server's certificate (PEM); implies TLS
   * @param certificate the client's certificate chain, for mutual TLS (PEM), with {@code key}
   * @param key the client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1)
   * @param serverName the name to check the server's certificate against instead of the target's host
   * @param token the bearer token sent as {@code authorization: Bearer TOKEN} on every call
   */
  public record Security(boolean tls, Path ca, Path certificate, Path key, String serverName, String token) {
    /** Plaintext, no token. */
    public static final Security PLAINTEXT = new Security(false, null, null, null, null, null);

    public boolean usesTls() {
      return tls || ca != null || certificate != null || key != null;
    }
  }

  /** Whether calls to {@code target} are spread round-robin over every address it resolves to. */
  public static boolean roundRobin(String target) {
    return target.toLowerCase(Locale.ROOT).startsWith("dns:") || StaticAddresses.isStatic(target);
  }

  /**
   * A channel builder for {@code target}, with {@code security}'s credentials and the load-balancing policy
   * the target calls for.
   *
   * @throws CredentialFileException naming a certificate or key file that cannot be used
   * @throws IllegalArgumentException for a malformed {@code ipv4:} target, naming the bad part
   */
  public static ManagedChannelBuilder<?> forTarget(String target, Security security) throws CredentialFileException {
    if (StaticAddresses.isStatic(target)) {
      StaticAddresses.parse(target); // its own message, rather than gRPC's "no NameResolver for ..."
    }
    NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target, credentials(security))
        // gRPC's pooled allocator frees a 2 MiB chunk as soon as it is empty, and a tensor request fills a
        // third of one: one client sending requests one at a time allocated and zeroed a chunk for each.
        .withOption(ChannelOption.ALLOCATOR, BUFFERS);
    if (roundRobin(target)) {
      builder.defaultLoadBalancingPolicy("round_robin");
    }
    if (security.serverName() != null) {
      builder.overrideAuthority(security.serverName());
    }
    return builder;
  }

  static ChannelCredentials credentials(Security security) throws CredentialFileException {
    ChannelCredentials channel = InsecureChannelCredentials.create();
    if (security.usesTls()) {
      if ((security.certificate() == null) != (security.key() == null)) {
        throw new IllegalArgumentException("a client certificate needs its key, and a key its certificate");
      }
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      if (security.ca() != null) {
        AdvancedTlsX509TrustManager trust = trustManager();
        try {
          trust.updateTrustCredentials(PemFiles.certificates(security.ca()));
        } catch (IOException | GeneralSecurityException e) {
          throw new CredentialFileException(security.ca(), "the CA certificates cannot be used: " + e.getMessage());
        }
        tls.trustManager(trust);
      }
      if (security.certificate() != null) {
        PemFiles.CertifiedKey identity = PemFiles.certifiedKey(security.certificate(), security.key());
        AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
        keys.updateIdentityCredentials(identity.chain(), identity.key());
        tls.keyManager(keys);
      }
      channel = tls.build();
    }
    return security.token() == null ? channel : CompositeChannelCredentials.create(channel, bearer(security.token()));
  }

  private static AdvancedTlsX509TrustManager trustManager() {
    try {
      return AdvancedTlsX509TrustManager.newBuilder()
          .setVerification(AdvancedTlsX509TrustManager.Verification.CERTIFICATE_AND_HOST_NAME_VERIFICATION)
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("grpc-java's trust manager cannot be built: " + e, e);
    }
  }

  /** {@code authorization: Bearer TOKEN} on every call. */
  static CallCredentials bearer(String token) {
    return authorization("Bearer " + token);
  }

  /** The {@code authorization} header {@code value} on every call. */
  public static CallCredentials authorization(String value) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(RequestInfo request, Executor executor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, value);
        applier.apply(headers);
      }
    };
  }
}
