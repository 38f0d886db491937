package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.Tensor;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AliasingRequestParserTest {
  private static final MethodDescriptor<ClassifyRequest, ?> CLASSIFY = ClassifyServiceGrpc.getClassifyMethod();

  private static ClassifyRequest twoTensors() {
    byte[] first = new byte[4096];
    byte[] second = new byte[4096];
    new Random(1).nextBytes(first);
    new Random(2).nextBytes(second);
    return ClassifyRequest.newBuilder().setTopK(3)
        .addImages(Image.newBuilder().setId("a").setTensor(tensor(first)))
        .addImages(Image.newBuilder().setId("b").setTensor(tensor(second)))
        .build();
  }

  private static Tensor tensor(byte[] float32) {
    return Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(float32)).build();
  }

  @Test
  void parsesTheSameMessage_withItsImagesAsViewsOfOneBuffer_notCopies() {
    ClassifyRequest sent = twoTensors();

    ClassifyRequest parsed = AliasingRequestParser.parse(CLASSIFY, CLASSIFY.streamRequest(sent));

    assertThat(parsed).isEqualTo(sent);
    // protobuf gives a slice of the parsed buffer (not a fresh array of its own) only when aliasing is on
    ByteString data = parsed.getImages(1).getTensor().getFloat32Data();
    assertThat(data.getClass().getSimpleName()).isEqualTo("BoundedByteString");
  }

  @Test
  void bytesThatAreNotTheRequestType_areAnIllegalArgumentInProtobufsWords() throws Exception {
    InputStream malformed = new ByteArrayInputStream(new byte[] {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff,
        (byte) 0xff, 0x0f, 0x01});

    assertThatThrownBy(() -> AliasingRequestParser.parse(CLASSIFY, malformed))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative size");
    byte[] cut = CLASSIFY.streamRequest(twoTensors()).readAllBytes();
    InputStream truncated = new ByteArrayInputStream(java.util.Arrays.copyOf(cut, cut.length - 100));
    assertThatThrownBy(() -> AliasingRequestParser.parse(CLASSIFY, truncated))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void aRequestThatIsNotProtobuf_isParsedByItsOwnMarshaller() {
    MethodDescriptor<String, String> text = MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("test/Echo")
        .setRequestMarshaller(Utf8.INSTANCE)
        .setResponseMarshaller(Utf8.INSTANCE)
        .build();

    assertThat(AliasingRequestParser.parse(text, new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("hello");
  }

  @Test
  void readFully_readsPastAKnownLengthThatWasShort() {
    byte[] bytes = "0123456789".getBytes(StandardCharsets.UTF_8);

    assertThat(AliasingRequestParser.readFully(new ShortKnownLength(bytes, 4))).isEqualTo(bytes);
    assertThat(AliasingRequestParser.readFully(new ShortKnownLength(bytes, 10))).isEqualTo(bytes);
    assertThat(AliasingRequestParser.readFully(new ByteArrayInputStream(new byte[0]))).isEmpty();
  }

  /** A known-length stream whose first {@code available()} answer is {@code claimed}. */
  private static final class ShortKnownLength extends ByteArrayInputStream implements KnownLength {
    private final int claimed;
    private boolean asked;

    ShortKnownLength(byte[] bytes, int claimed) {
      super(bytes);
      this.claimed = claimed;
    }

    @Override
    public synchronized int available() {
      if (asked) {
        return super.available();
      }
      asked = true;
      return claimed;
    }
  }

  private enum Utf8 implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      return new String(AliasingRequestParser.readFully(stream), StandardCharsets.UTF_8);
    }
  }
}
