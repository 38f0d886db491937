package io.mobiserve.testing;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The fuzz tests' message check flags the overflowed sizes issue 10 saw and lets ordinary refusals pass. */
class RefusalsTest {

  @Test
  void requireReadable_flagsNegativeSizes() {
    for (String message : new String[] {
        "image 0: raw image of 4294967295x4294967295x3 needs -25769803773 bytes of pixels, got 0",
        "raw image width and height must be at least 1, got -46326x-1431624881",
        "raw image 12x-5 RGB must be 3 bytes",
        "-1 images",
        "size (-3)"}) {
      assertThatThrownBy(() -> Refusals.requireReadable(message)).as(message).isInstanceOf(AssertionError.class);
    }
  }

  @Test
  void requireReadable_flagsEmptyMessages() {
    assertThatThrownBy(() -> Refusals.requireReadable("")).isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> Refusals.requireReadable(null)).isInstanceOf(AssertionError.class);
  }

  @Test
  void requireReadable_passesOrdinaryRefusals() {
    for (String message : new String[] {
        "image 2: image is 30000x30000 = 900000000 pixels, over the limit of 40000000",
        "tensor value at index 12287 is -Infinity",
        "image 0: unknown channel order -1",
        "unsupported image format (expected JPEG or PNG)",
        "decoded 8-bit image"}) {
      assertThatCode(() -> Refusals.requireReadable(message)).as(message).doesNotThrowAnyException();
    }
  }

  @Test
  void requireReadable_leavesTheQuotedCauseOut() {
    RuntimeException openCv = new RuntimeException(
        "OpenCV(4.13.0) /build/opencv-4.13.0/modules/imgcodecs/src/loadsave.cpp:1 error: (-215:Assertion failed)");
    assertThatCode(() -> Refusals.requireReadable("corrupt PNG (decoder failed: " + openCv.getMessage() + ")", openCv))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> Refusals.requireReadable("corrupt PNG (decoder failed: " + openCv.getMessage() + ")"))
        .isInstanceOf(AssertionError.class);
  }
}
