package io.mobiserve.server.kserve;

import static io.mobiserve.server.kserve.Parameters.invalid;

import io.grpc.StatusException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The protocol's binary form of a BYTES tensor: each element as a 4-byte little-endian unsigned length
 * followed by that many bytes, back to back, in row-major order.
 */
public final class RawBytes {
  private RawBytes() {}

  /**
   * Splits {@code data} into exactly {@code count} elements, as views of its bytes.
   *
   * @param where what the data is, for the message
   * @throws StatusException INVALID_ARGUMENT when the data is cut short, holds another number of elements,
   *     or has bytes left over
   */
  public static List<ByteBuffer> split(ByteBuffer data, int count, String where) throws StatusException {
    ByteBuffer in = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    List<ByteBuffer> elements = new ArrayList<>(count);
    while (in.hasRemaining()) {
      if (elements.size() == count) {
        throw invalid(where + ": " + in.remaining() + " bytes follow the " + count + " elements the shape gives");
      }
      if (in.remaining() < Integer.BYTES) {
        throw invalid(where + ": element " + elements.size() + " is cut short: " + in.remaining()
            + " bytes left where its 4-byte length should be");
      }
      long length = Integer.toUnsignedLong(in.getInt());
      if (length > in.remaining()) {
        throw invalid(where + ": element " + elements.size() + " says it is " + length + " bytes, but only "
            + in.remaining() + " follow");
      }
      ByteBuffer element = in.slice();
      element.limit((int) length);
      elements.add(element);
      in.position(in.position() + (int) length);
    }
    if (elements.size() != count) {
      throw invalid(where + ": holds " + elements.size() + " elements; the shape gives " + count);
    }
    return elements;
  }

  /** The binary form of {@code elements}. */
  public static byte[] join(List<byte[]> elements) {
    int size = 0;
    for (byte[] element : elements) {
      size += Integer.BYTES + element.length;
    }
    ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    for (byte[] element : elements) {
      out.putInt(element.length).put(element);
    }
    return out.array();
  }
}
