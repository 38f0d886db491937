package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mobiserve.testing.FuzzBuffers;
import java.nio.ByteBuffer;

/**
 * Fuzzes the JPEG checks that run before decoding ({@link JpegStructure}) on any bytes that start like a
 * JPEG. For each input, the header scan either reads a frame size of 1..65535 a side or refuses with an
 * {@link InvalidImageException} a client can read, and so does the end check; neither throws anything
 * else, moves the buffer or looks outside it: the same bytes embedded in a larger little-endian buffer,
 * between bytes that look like a JPEG's start and end, give the same outcome.
 *
 * <p>Seeds: {@code JpegStructureFuzzTestInputs/} (scripts/make_fuzz_seeds.py). Fuzzing: scripts/fuzz.sh.
 */
class JpegStructureFuzzTest {
  /** What a scan reading before the position would find: an EOI and a frame header. */
  private static final byte[] BEFORE = FuzzBuffers.bytes(0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x07, 0x00, 0x05, 0xFF, 0xD9);
  /** What a scan reading past the limit would find: padding, an EOI, a frame header. */
  private static final byte[] AFTER =
      FuzzBuffers.bytes(0x00, 0x0B, 0x08, 0x00, 0x03, 0x00, 0x02, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9, 0x00, 0xFF);

  @FuzzTest(maxDuration = "30s")
  void anyBytes(byte[] data) {
    ByteBuffer alone = ByteBuffer.wrap(data);
    if (!PreDecodeChecks.startsAs(ImageFormat.JPEG, alone)) {
      return; // the preprocessor calls JpegStructure only after the magic bytes say JPEG
    }
    String outcome = outcome(alone);
    assertThat(outcome(FuzzBuffers.embedded(data, BEFORE, AFTER))).isEqualTo(outcome);
  }

  private static String outcome(ByteBuffer data) {
    return PreDecodeChecks.outcome(
        data, ImageFormat.JPEG, 0xFFFF, JpegStructure::header, JpegStructure::requireComplete);
  }
}
