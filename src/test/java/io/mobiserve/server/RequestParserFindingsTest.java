package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThatCode;

import com.google.protobuf.ByteString;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.RawImage;
import org.junit.jupiter.api.Test;

/**
 * Requests that break {@link RequestParser}'s contract as {@link RequestParserFuzzTest} states it (accept
 * within the limits, or refuse with INVALID_ARGUMENT and no negative size), found by its fuzzers or listed
 * in issue 10. Each runs the fuzz test's own check on one request.
 */
class RequestParserFindingsTest {

  /** Found by both fuzz targets in seconds; today RESOURCE_EXHAUSTED ("split it"), a status that says retry. */
  @Test
  void parse_refusesMoreImagesThanTheLimitAsInvalidArgument() {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder();
    for (int i = 0; i <= RequestParserFuzzTest.LIMITS.maxImagesPerRequest(); i++) {
      request.addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFromUtf8("x"))));
    }
    assertThatCode(() -> RequestParserFuzzTest.requireAcceptedOrRefused(request.build())).doesNotThrowAnyException();
  }

  /**
   * Found by the structured fuzzer (4294967294 x 4294920970: "needs -596931734389308 bytes of pixels"):
   * width x height wraps in 64 bits, so the pixel limit lets it through and the length check shows a
   * negative byte count.
   */
  @Test
  void parse_refusesRawSidesOf2To32WithoutANegativeSize() {
    assertThatCode(() -> RequestParserFuzzTest.requireAcceptedOrRefused(raw(0xFFFF_FFFF, 0xFFFF_FFFF, 0)))
        .doesNotThrowAnyException(); // today: "needs -25769803773 bytes"
    assertThatCode(() -> RequestParserFuzzTest.requireAcceptedOrRefused(raw((int) 4294967294L, (int) 4294920970L, 0)))
        .doesNotThrowAnyException();
  }

  /**
   * From issue 10 (the fuzzer has not reached it in its runs so far): w x h x 3 wraps to exactly the pixels
   * sent, so the request is accepted with a width of -46326 and a height of -1431624881.
   */
  @Test
  void parse_refusesARawSizeThatWrapsToItsByteCount() {
    assertThatCode(() -> RequestParserFuzzTest.requireAcceptedOrRefused(raw((int) 4294920970L, (int) 2863342415L, 2_724_418)))
        .doesNotThrowAnyException();
  }

  private static ClassifyRequest raw(int width, int height, int bytes) {
    return ClassifyRequest.newBuilder()
        .addImages(Image.newBuilder().setRaw(RawImage.newBuilder()
            .setWidth(width).setHeight(height).setPixels(ByteString.copyFrom(new byte[bytes]))))
        .build();
  }
}
