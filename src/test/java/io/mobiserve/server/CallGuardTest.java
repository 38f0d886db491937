package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** No call to a guarded service ends UNKNOWN, whatever its message or its handler does. */
class CallGuardTest {
  /** Strings on the wire; "!" is not a valid message, as a truncated protobuf would not be. */
  private static final MethodDescriptor.Marshaller<String> STRINGS = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        String text = new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        if (text.equals("!")) {
          throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").asRuntimeException();
        }
        return text;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  };
  private static final MethodDescriptor<String, String> ECHO = MethodDescriptor.<String, String>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Echo/Echo")
      .setRequestMarshaller(STRINGS)
      .setResponseMarshaller(STRINGS)
      .build();

  private final AtomicReference<Throwable> toThrow = new AtomicReference<>();
  private final String name = InProcessServerBuilder.generateName();
  private Server server;
  private ManagedChannel channel;

  private void start() throws IOException {
    ServerServiceDefinition echo = ServerServiceDefinition.builder("test.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responses) -> {
          Throwable failure = toThrow.get();
          if (failure instanceof Error error) {
            throw error;
          }
          if (failure instanceof RuntimeException runtime) {
            throw runtime;
          }
          responses.onNext("echo " + request);
          responses.onCompleted();
        }))
        .build();
    server = InProcessServerBuilder.forName(name).addService(CallGuard.guard(echo)).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private Status call(String request) {
    StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
        () -> ClientCalls.blockingUnaryCall(channel, ECHO, io.grpc.CallOptions.DEFAULT, request));
    return failure == null ? Status.OK : failure.getStatus();
  }

  @Test
  void aValidCall_isServedAsItWouldBeUnguarded() throws IOException {
    start();

    assertThat(ClientCalls.blockingUnaryCall(channel, ECHO, io.grpc.CallOptions.DEFAULT, "hi")).isEqualTo("echo hi");
  }

  @Test
  void aMessageThatDoesNotParse_isInvalidArgument() throws IOException {
    start();

    Status status = call("!");

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).startsWith("the request is not a valid Echo request: ")
        .contains("Invalid protobuf byte sequence");
  }

  @Test
  void anOutOfMemoryErrorInAHandler_isResourceExhausted_notUnknown() throws IOException {
    start();
    toThrow.set(new OutOfMemoryError("Cannot reserve 602112 bytes of direct buffer memory"));

    assertThat(call("x").getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void aBugInAHandler_isInternal_notUnknown() throws IOException {
    start();
    toThrow.set(new IllegalStateException("a bug"));

    assertThat(call("x").getCode()).isEqualTo(Status.Code.INTERNAL);
  }
}
