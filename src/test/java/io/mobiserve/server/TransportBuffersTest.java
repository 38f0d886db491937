package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.mobiserve.testing.ByteMessages;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TransportBuffersTest {
  private static final int TENSOR_BYTES = 3 * 224 * 224 * 4;

  @Test
  void theServerReadsRequestsIntoTheGivenAllocatorAndKeepsItsMemoryBounded() throws Exception {
    AdaptiveByteBufAllocator allocator = new AdaptiveByteBufAllocator();
    Server server = TransportBuffers.applyTo(NettyServerBuilder.forPort(0), allocator)
        .addService(echo())
        .build()
        .start();
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    try {
      byte[] tensor = new byte[TENSOR_BYTES];
      tensor[TENSOR_BYTES - 1] = 7;
      for (int call = 0; call < 300; call++) {
        byte[] answer = ClientCalls.blockingUnaryCall(channel, ECHO, CallOptions.DEFAULT, tensor);
        assertThat(answer).hasSize(TENSOR_BYTES).endsWith(7);
      }
      // The requests were read through this allocator, not gRPC's own, and it reused what it holds: 300
      // calls carried 360 MB through it (each tensor in and out), and it keeps a bounded few chunks.
      // (Exactly how many depends on how reads interleave on a busy machine.)
      assertThat(used(allocator)).isPositive().isLessThan(64L << 20);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static long used(AdaptiveByteBufAllocator allocator) {
    return allocator.metric().usedDirectMemory() + allocator.metric().usedHeapMemory();
  }

  private static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("test.Echo/Echo")
      .setRequestMarshaller(ByteMessages.MARSHALLER)
      .setResponseMarshaller(ByteMessages.MARSHALLER)
      .build();

  private static ServerServiceDefinition echo() {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responses) -> {
          responses.onNext(request);
          responses.onCompleted();
        }))
        .build();
  }
}
