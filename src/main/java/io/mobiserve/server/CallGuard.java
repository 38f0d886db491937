package io.mobiserve.server;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes sure no call to a service ends UNKNOWN: a request message that is not valid protobuf for its type
 * is answered INVALID_ARGUMENT naming the type, and anything a handler throws is answered with the status
 * {@link StatusMapper} gives it. Left to itself, gRPC parses a request before any interceptor sees it and
 * answers a parse failure or a thrown exception with "UNKNOWN: Application error processing RPC",
 * bypassing the calls' interceptors (so metrics never see the call end).
 *
 * <p>It does so by taking each method's request as the raw message stream and parsing it itself, inside
 * the call, with {@link AliasingRequestParser} (the images stay in the buffer the message was read into).
 * Responses are untouched.
 * Wrap a service with {@link #guard} when it is added to the server.
 */
final class CallGuard {
  private CallGuard() {}

  /** {@code service} with every method guarded. */
  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    List<ServerMethodDefinition<InputStream, ?>> methods = new ArrayList<>();
    // The schema descriptor stays, so that server reflection still describes the service.
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<InputStream, ?> guardedMethod = guard(method);
      methods.add(guardedMethod);
      descriptor.addMethod(guardedMethod.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder guarded = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(guarded::addMethod);
    return guarded.build();
  }

  private static <Q, R> ServerMethodDefinition<InputStream, R> guard(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> typed = method.getMethodDescriptor();
    MethodDescriptor<InputStream, R> raw = typed.toBuilder(RawMessages.INSTANCE, typed.getResponseMarshaller())
        .build();
    return ServerMethodDefinition.create(raw, new GuardedHandler<>(typed, method.getServerCallHandler()));
  }

  /** Hands the request's stream through unread; the guarded handler parses it. */
  private enum RawMessages implements MethodDescriptor.Marshaller<InputStream> {
    INSTANCE;

    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  }

  private static final class GuardedHandler<Q, R> implements ServerCallHandler<InputStream, R> {
    private final MethodDescriptor<Q, R> typed;
    private final ServerCallHandler<Q, R> next;

    GuardedHandler(MethodDescriptor<Q, R> typed, ServerCallHandler<Q, R> next) {
      this.typed = typed;
      this.next = next;
    }

    @Override
    public ServerCall.Listener<InputStream> startCall(ServerCall<InputStream, R> call, Metadata headers) {
      TypedCall<Q, R> typedCall = new TypedCall<>(call, typed);
      ServerCall.Listener<Q> listener;
      try {
        listener = next.startCall(typedCall, headers);
      } catch (RuntimeException | Error e) {
        typedCall.fail(e);
        return new ServerCall.Listener<>() {};
      }
      return new GuardedListener<>(typedCall, typed, listener);
    }
  }

  /** Parses each message, and answers whatever the handler throws instead of letting gRPC answer UNKNOWN. */
  private static final class GuardedListener<Q, R> extends ServerCall.Listener<InputStream> {
    private final TypedCall<Q, R> call;
    private final MethodDescriptor<Q, R> typed;
    private final ServerCall.Listener<Q> delegate;

    GuardedListener(TypedCall<Q, R> call, MethodDescriptor<Q, R> typed, ServerCall.Listener<Q> delegate) {
      this.call = call;
      this.typed = typed;
      this.delegate = delegate;
    }

    @Override
    public void onMessage(InputStream message) {
      if (call.ended()) {
        return;
      }
      Q request;
      try {
        request = AliasingRequestParser.parse(typed, message);
      } catch (RuntimeException e) {
        call.closeOnce(Status.INVALID_ARGUMENT.withDescription("the request is not a valid "
            + requestType(typed) + ": " + describe(e)));
        return;
      }
      guarded(() -> delegate.onMessage(request));
    }

    @Override
    public void onHalfClose() {
      if (!call.ended()) {
        guarded(delegate::onHalfClose);
      }
    }

    @Override
    public void onCancel() {
      guarded(delegate::onCancel);
    }

    @Override
    public void onComplete() {
      guarded(delegate::onComplete);
    }

    @Override
    public void onReady() {
      if (!call.ended()) {
        guarded(delegate::onReady);
      }
    }

    private void guarded(Runnable callback) {
      try {
        callback.run();
      } catch (RuntimeException | Error e) {
        call.fail(e);
      }
    }
  }

  /** The request's message type, e.g. {@code ClassifyRequest}, as clients know it from the proto. */
  private static String requestType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> proto
        && proto.getMessagePrototype() != null) {
      return proto.getMessagePrototype().getClass().getSimpleName();
    }
    return method.getBareMethodName() + " request";
  }

  /** A parse failure in words: protobuf's message, without gRPC's wrapping. */
  private static String describe(RuntimeException e) {
    Throwable cause = e.getCause() != null ? e.getCause() : e;
    String message = cause.getMessage();
    return message == null ? cause.getClass().getSimpleName() : message;
  }

  /** The typed view of the raw call the service sees; remembers that it was closed. */
  private static final class TypedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<InputStream, R> raw;
    private final MethodDescriptor<Q, R> typed;
    private volatile boolean closed;

    TypedCall(ServerCall<InputStream, R> raw, MethodDescriptor<Q, R> typed) {
      this.raw = raw;
      this.typed = typed;
    }

    boolean ended() {
      return closed;
    }

    /** Answers a failure the handler did not answer itself (StatusMapper logs what it did not expect). */
    void fail(Throwable failure) {
      closeOnce(StatusMapper.toStatus(failure));
    }

    synchronized void closeOnce(Status status) {
      if (!closed) {
        close(status, new Metadata());
      }
    }

    @Override
    public synchronized void close(Status status, Metadata trailers) {
      if (closed) {
        return; // a second close would throw from gRPC; the first answer stands
      }
      closed = true;
      raw.close(status, trailers);
    }

    @Override
    public void request(int numMessages) {
      raw.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      raw.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      raw.sendMessage(message);
    }

    @Override
    public boolean isReady() {
      return raw.isReady();
    }

    @Override
    public boolean isCancelled() {
      return raw.isCancelled();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      raw.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      raw.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      raw.setOnReadyThreshold(numBytes);
    }

    @Override
    public SecurityLevel getSecurityLevel() {
      return raw.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return raw.getAttributes();
    }

    @Override
    public String getAuthority() {
      return raw.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return typed;
    }
  }
}
