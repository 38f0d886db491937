package io.mobiserve.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Buffers that catch code reading outside the bytes it was given, for the fuzz tests. */
public final class FuzzBuffers {
  private FuzzBuffers() {}

  /**
   * {@code data} in the middle of a larger heap buffer, between {@code before} and {@code after}: the
   * buffer's position and limit frame {@code data} exactly, and its byte order is little-endian. Code that
   * reads only from its position to its limit, with explicit byte order, sees the same bytes as in
   * {@code ByteBuffer.wrap(data)}; code that reads index 0, past the limit or with the buffer's order sees
   * {@code before}, {@code after} or swapped bytes, chosen by the caller to change the outcome.
   */
  public static ByteBuffer embedded(byte[] data, byte[] before, byte[] after) {
    byte[] all = new byte[before.length + data.length + after.length];
    System.arraycopy(before, 0, all, 0, before.length);
    System.arraycopy(data, 0, all, before.length, data.length);
    System.arraycopy(after, 0, all, before.length + data.length, after.length);
    ByteBuffer buffer = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
    buffer.position(before.length).limit(before.length + data.length);
    return buffer;
  }

  /** {@code data} as a read-only heap buffer, as protobuf's {@code ByteString.asReadOnlyByteBuffer} gives it. */
  public static ByteBuffer readOnly(byte[] data) {
    return ByteBuffer.wrap(data).asReadOnlyBuffer();
  }

  /** Bytes written as ints, so that 0xFF needs no cast. */
  public static byte[] bytes(int... values) {
    byte[] bytes = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      bytes[i] = (byte) values[i];
    }
    return bytes;
  }
}
