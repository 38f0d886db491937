package io.mobiserve.server.auth;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who a gRPC call comes from, in two server-wide steps with the request metrics between them, so that a call
 * refused for its token is still counted, under the label {@value Caller#UNAUTHENTICATED}:
 *
 * <ol>
 *   <li>{@link #identify}, outermost: works out the {@link Caller} from the {@code authorization} header (with
 *       the {@link TokenAuthenticator}, when there is one), the client certificate (mutual TLS) and the remote
 *       address, and puts it in the call's Context ({@link #current}).
 *   <li>{@link #admit}, inside the metrics: ends a call that needs a token and brought no valid one with
 *       UNAUTHENTICATED, saying only that a valid bearer token is needed: not whether it was missing, malformed
 *       or unknown. Calls to the open services (health, for probes) pass.
 * </ol>
 */
public final class CallerAuthentication {
  private static final Context.Key<Caller> CALLER = Context.key("mobiserve.caller-identity");
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  /** The one answer to a call without a valid token, whatever was wrong with it. */
  public static final String REFUSAL = "this server needs a valid bearer token ('authorization: Bearer TOKEN')";

  private CallerAuthentication() {}

  /** The caller of the current call, or null outside a call that {@link #identify} saw. */
  public static Caller current() {
    return CALLER.get();
  }

  /**
   * Puts each call's {@link Caller} in its Context.
   *
   * @param tokens the tokens to check, or null when the server requires none
   */
  public static ServerInterceptor identify(TokenAuthenticator tokens) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Caller caller = identify(tokens, headers.get(AUTHORIZATION), call.getAttributes());
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
      }
    };
  }

  /**
   * Refuses calls that {@link #identify} did not admit, except to {@code openServices}.
   *
   * @param openServices full service names that need no token ({@code grpc.health.v1.Health})
   */
  public static ServerInterceptor admit(Set<String> openServices) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Caller caller = CALLER.get();
        if (caller == null || caller.admitted()
            || openServices.contains(call.getMethodDescriptor().getServiceName())) {
          return next.startCall(call, headers);
        }
        call.close(Status.UNAUTHENTICATED.withDescription(REFUSAL), new Metadata());
        return new ServerCall.Listener<>() {};
      }
    };
  }

  static Caller identify(TokenAuthenticator tokens, String authorization, Attributes transport) {
    if (tokens != null) {
      Optional<String> name = tokens.authenticate(authorization);
      if (name.isPresent()) {
        return new Caller(name.get(), name.get(), true);
      }
    }
    String label = tokens == null ? Caller.ANONYMOUS : Caller.UNAUTHENTICATED;
    String name = clientCertificateName(transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION))
        .orElseGet(() -> address(transport.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)));
    return new Caller(name, label, tokens == null);
  }

  /** The common name of the client certificate (its whole subject when it has none), under mutual TLS. */
  static Optional<String> clientCertificateName(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty(); // TLS without a client certificate
    }
    if (peer.length == 0 || !(peer[0] instanceof X509Certificate certificate)) {
      return Optional.empty();
    }
    String subject = certificate.getSubjectX500Principal().getName();
    try {
      for (Rdn rdn : new LdapName(subject).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return Optional.of("cn:" + rdn.getValue());
        }
      }
    } catch (InvalidNameException e) {
      // fall through to the whole subject
    }
    return Optional.of("subject:" + subject);
  }

  private static String address(SocketAddress remote) {
    return remote == null ? "unknown" : remote.toString();
  }
}
