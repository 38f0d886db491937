package io.mobiserve.server;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Parses a request so that its bytes fields (tensors, pixels, encoded images) are views of the one buffer the
 * message was read into, not copies of it. gRPC's own protobuf parser reads the message into a reused buffer
 * and copies every bytes field out of it: a second copy of each image, 602 KB for a tensor, on every call.
 * Here the buffer is new for each message and belongs to it alone, so a view may outlive the call safely (a
 * stream's queued frame, an image still waiting for a batch) and the garbage collector frees it with the last
 * view.
 */
final class AliasingRequestParser {
  private AliasingRequestParser() {}

  /**
   * The request in {@code stream}, parsed with aliasing when {@code method}'s request is a protobuf message,
   * with the method's own marshaller otherwise.
   *
   * @throws IllegalArgumentException the bytes are not a valid message of the request's type
   */
  static <Q> Q parse(MethodDescriptor<Q, ?> method, InputStream stream) {
    Parser<Q> parser = parserOf(method);
    if (parser == null) {
      return method.parseRequest(stream);
    }
    try {
      CodedInputStream input = UnsafeByteOperations.unsafeWrap(readFully(stream)).newCodedInput();
      input.enableAliasing(true);
      return parser.parseFrom(input);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <Q> Parser<Q> parserOf(MethodDescriptor<Q, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<Q> proto
        && proto.getMessagePrototype() instanceof MessageLite prototype) {
      return (Parser<Q>) prototype.getParserForType();
    }
    return null;
  }

  /**
   * The whole stream in a new array: one copy out of the transport's buffers, sized at once when known. The
   * stream stays open: gRPC closes it, releasing its buffers, when the listener's onMessage returns.
   */
  static byte[] readFully(InputStream stream) {
    try {
      int size = stream instanceof KnownLength ? stream.available() : 0;
      if (size <= 0) {
        return stream.readAllBytes();
      }
      byte[] bytes = new byte[size];
      int read = stream.readNBytes(bytes, 0, size);
      if (read < size) {
        throw new IOException("the message ended after " + read + " of its " + size + " bytes");
      }
      byte[] rest = stream.readAllBytes();
      if (rest.length == 0) {
        return bytes;
      }
      byte[] all = new byte[size + rest.length];
      System.arraycopy(bytes, 0, all, 0, size);
      System.arraycopy(rest, 0, all, size, rest.length);
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
