package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.KnownLength;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import java.io.ByteArrayInputStream;

/**
 * Fuzzes {@link AliasingRequestParser#parse}, where every request's bytes are first read (defect 5 of the
 * hostile-input review lived here: a malformed message reached clients as UNKNOWN). Against protobuf's own
 * parser on the same bytes: what protobuf accepts parses to an equal message, what it refuses is refused
 * with {@link IllegalArgumentException} (which {@code CallGuard} answers INVALID_ARGUMENT), and nothing
 * else is thrown. The bytes arrive as gRPC hands them over, a stream that knows its length.
 *
 * <p>Seeds: {@code AliasingRequestParserFuzzTestInputs/} (scripts/make_fuzz_seeds.py). Fuzzing:
 * scripts/fuzz.sh.
 */
class AliasingRequestParserFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void anyWireBytes(byte[] bytes) {
    ClassifyRequest expected;
    try {
      expected = ClassifyRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      expected = null;
    }
    ClassifyRequest parsed;
    try {
      parsed = AliasingRequestParser.parse(ClassifyServiceGrpc.getClassifyMethod(), new KnownLengthStream(bytes));
    } catch (IllegalArgumentException e) {
      assertThat(expected).as("refused what protobuf accepts: %s", e.getMessage()).isNull();
      return;
    }
    assertThat(expected).as("accepted what protobuf refuses").isNotNull();
    assertThat(parsed).isEqualTo(expected);
  }

  /** A message as gRPC's transport hands it to a marshaller: its length known up front. */
  private static final class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
    KnownLengthStream(byte[] bytes) {
      super(bytes);
    }
  }
}
