package io.mobiserve.server;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerStreamTracer;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.mobiserve.metrics.RequestListener;
import io.mobiserve.server.auth.Caller;
import io.mobiserve.server.auth.CallerAuthentication;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Reports every call to a {@link RequestListener}: its start, and its end with the status the client
 * receives — read from {@link ServerCall#close}, so calls that an inner interceptor or the handler refuse
 * are counted with their real code. A call that the transport ends without a close — the client
 * cancelled, or gRPC itself refused it (an oversized message: RESOURCE_EXHAUSTED) — is reported with the
 * status its stream closed with, kept by {@link FinalStatus}, or CANCELLED when none was kept. One whose
 * handler threw is reported as UNKNOWN, which is what gRPC answers then. Each call is reported as
 * finished exactly once.
 *
 * <p>Each call is labelled with its caller's {@link Caller#label}, which {@link CallerAuthentication#identify}
 * (installed outside this) has put in the Context.
 *
 * <p>Install it on the server builder ({@code ServerBuilder.intercept}), so that it is outermost and sees
 * every service, together with {@link FinalStatus} ({@code ServerBuilder.addStreamTracerFactory}); {@link
 * Connections} ({@code ServerBuilder.addTransportFilter}) reports the connections the calls ride on.
 */
final class MetricsInterceptor implements ServerInterceptor {
  private final RequestListener listener;
  private final LongSupplier nanoClock;

  MetricsInterceptor(RequestListener listener, LongSupplier nanoClock) {
    this.listener = listener;
    this.nanoClock = nanoClock;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Caller caller = CallerAuthentication.current();
    Outcome outcome = new Outcome(call.getMethodDescriptor().getFullMethodName(),
        caller == null ? Caller.ANONYMOUS : caller.label(), nanoClock.getAsLong());
    listener.started(outcome.method);
    ServerCall<Q, R> reporting = new SimpleForwardingServerCall<>(call) {
      @Override
      public void close(Status status, Metadata trailers) {
        // Before the status goes out, so that a client that has its answer sees the call counted.
        outcome.finish(status.getCode());
        super.close(status, trailers);
      }
    };
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(reporting, headers);
    } catch (RuntimeException e) {
      outcome.finish(Status.Code.UNKNOWN);
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          outcome.finish(Status.Code.UNKNOWN);
          throw e;
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          outcome.finish(Status.Code.UNKNOWN);
          throw e;
        }
      }

      @Override
      public void onCancel() {
        // The transport ended the call: the client cancelled (CANCELLED), or gRPC refused it, e.g. for an
        // oversized message (RESOURCE_EXHAUSTED); FinalStatus saw which.
        FinalStatus.Holder closed = FinalStatus.KEY.get();
        Status status = closed == null ? null : closed.status;
        outcome.finish(status == null ? Status.Code.CANCELLED : status.getCode());
        super.onCancel();
      }
    };
  }

  /**
   * Keeps the status a stream really closed with where the interceptor's onCancel can read it: gRPC tells
   * the application only "cancelled", whatever the transport answered. Install it beside the interceptor
   * with {@code ServerBuilder.addStreamTracerFactory}.
   */
  static final class FinalStatus extends ServerStreamTracer.Factory {
    static final Context.Key<Holder> KEY = Context.key("mobiserve.final-status");

    static final class Holder {
      volatile Status status;
    }

    @Override
    public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
      Holder holder = new Holder();
      return new ServerStreamTracer() {
        @Override
        public Context filterContext(Context context) {
          return context.withValue(KEY, holder);
        }

        @Override
        public void streamClosed(Status status) {
          holder.status = status;
        }
      };
    }
  }

  /**
   * Reports the transport's connections: opened once ready (after the TLS handshake), closed when they end. A
   * connection that never became ready (a failed handshake) is reported neither way.
   */
  static final class Connections extends ServerTransportFilter {
    private static final Attributes.Key<Boolean> OPENED = Attributes.Key.create("mobiserve.connection-opened");
    private final RequestListener listener;

    Connections(RequestListener listener) {
      this.listener = listener;
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
      listener.connectionOpened();
      return attributes.toBuilder().set(OPENED, Boolean.TRUE).build();
    }

    @Override
    public void transportTerminated(Attributes attributes) {
      if (attributes != null && attributes.get(OPENED) != null) {
        listener.connectionClosed();
      }
    }
  }

  /** One call's method and start, reported as finished once. */
  private final class Outcome {
    private final String method;
    private final String caller;
    private final long startNanos;
    private final AtomicBoolean finished = new AtomicBoolean();

    Outcome(String method, String caller, long startNanos) {
      this.method = method;
      this.caller = caller;
      this.startNanos = startNanos;
    }

    void finish(Status.Code code) {
      if (finished.compareAndSet(false, true)) {
        listener.finished(method, caller, code.name(), nanoClock.getAsLong() - startNanos);
      }
    }
  }
}
