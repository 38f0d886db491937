package io.mobiserve.server;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.mobiserve.server.auth.Caller;
import io.mobiserve.server.auth.CallerAuthentication;
import java.net.SocketAddress;

/**
 * Puts the caller's identity into the call's Context, so that the scheduler can keep one caller from starving
 * the others: the caller's {@link Caller#name} (its token's name, its client certificate, or its connection's
 * remote address) as {@link CallerAuthentication#identify} found it, or the remote address where that did not
 * run.
 */
final class CallerInterceptor implements ServerInterceptor {
  static final Context.Key<String> CALLER = Context.key("mobiserve.caller");

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Caller identified = CallerAuthentication.current();
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String caller = identified != null ? identified.name() : remote == null ? "unknown" : remote.toString();
    return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
  }

  /** The caller of the current call, or "unknown" outside an intercepted call. */
  static String current() {
    String caller = CALLER.get();
    return caller == null ? "unknown" : caller;
  }
}
