package io.mobiserve.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.buffer.AdaptiveByteBufAllocator;
import io.grpc.netty.shaded.io.netty.buffer.ByteBufAllocator;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;

/**
 * The buffers the gRPC transport reads requests into and writes responses from. gRPC's own pooled allocator
 * cuts 2 MiB chunks and frees a chunk as soon as nothing in it is in use. A 602 KB tensor fills a third of
 * one, so whenever the load paused for a moment a request allocated and zeroed a fresh chunk: async-profiler
 * found it at 0.9% of the server's CPU under 64 clients and 15% of a client's at one. Netty's adaptive
 * allocator keeps its chunks for reuse.
 */
public final class TransportBuffers {
  /** Shared by every connection of this process, so that they reuse each other's chunks. */
  private static final ByteBufAllocator ALLOCATOR = new AdaptiveByteBufAllocator();

  private TransportBuffers() {}

  /** {@code builder}, with its connections' buffers from {@link #ALLOCATOR}. */
  public static NettyServerBuilder applyTo(NettyServerBuilder builder) {
    return applyTo(builder, ALLOCATOR);
  }

  static NettyServerBuilder applyTo(NettyServerBuilder builder, ByteBufAllocator allocator) {
    return builder.withChildOption(ChannelOption.ALLOCATOR, allocator);
  }
}
