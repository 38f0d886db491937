package io.mobiserve.server.stream;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Puts the {@value StreamSettings#POLICY_HEADER} call header into the call's Context, for clients that
 * choose a stream's policy when they open it (gRPC metadata) rather than in its first message.
 */
public final class StreamPolicyHeader implements ServerInterceptor {
  public static final Metadata.Key<String> HEADER =
      Metadata.Key.of(StreamSettings.POLICY_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> POLICY = Context.key("mobiserve.stream-policy");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String policy = headers.get(HEADER);
    if (policy == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(POLICY, policy), call, headers, next);
  }

  /** The current call's header value, or null when it has none. */
  public static String current() {
    return POLICY.get();
  }
}
