package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mobiserve.testing.FuzzBuffers;
import java.nio.ByteBuffer;

/**
 * Fuzzes the PNG checks that run before decoding ({@link PngStructure}) on any bytes that start with the
 * PNG signature. For each input, the IHDR read either gives a size of 1..2^31-1 a side or refuses with an
 * {@link InvalidImageException} a client can read, and the chunk walk either reaches a whole IEND chunk
 * (CRC included) or refuses; neither throws anything else, moves the buffer or looks outside it: the same
 * bytes embedded in a larger little-endian buffer, between an IHDR and an IEND chunk, give the same outcome.
 *
 * <p>Seeds: {@code PngStructureFuzzTestInputs/} (scripts/make_fuzz_seeds.py). Fuzzing: scripts/fuzz.sh.
 */
class PngStructureFuzzTest {
  /** What a read before the position would find: a signature and a 7x5 IHDR. */
  private static final byte[] BEFORE = FuzzBuffers.bytes(
      0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n',
      0, 0, 0, 13, 'I', 'H', 'D', 'R', 0, 0, 0, 7, 0, 0, 0, 5, 8, 2, 0, 0, 0, 0, 0, 0, 0);
  /** What a walk past the limit would find: an IEND chunk. */
  private static final byte[] AFTER = FuzzBuffers.bytes(0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82);

  @FuzzTest(maxDuration = "30s")
  void anyBytes(byte[] data) {
    ByteBuffer alone = ByteBuffer.wrap(data);
    if (!PreDecodeChecks.startsAs(ImageFormat.PNG, alone)) {
      return; // the preprocessor calls PngStructure only after the signature says PNG
    }
    String outcome = outcome(alone);
    assertThat(outcome(FuzzBuffers.embedded(data, BEFORE, AFTER))).isEqualTo(outcome);
  }

  private static String outcome(ByteBuffer data) {
    return PreDecodeChecks.outcome(data, ImageFormat.PNG, Integer.MAX_VALUE, PngStructure::header, bytes -> {
      PngStructure.requireComplete(bytes);
      assertThat(hasWholeIend(bytes)).as("complete, so an IEND chunk with its CRC lies within the bytes").isTrue();
    });
  }

  /** Whether the bytes after the signature hold "IEND" after a length field, with that many bytes and a CRC after it. */
  private static boolean hasWholeIend(ByteBuffer data) {
    for (int i = data.position() + 12; i + 8 <= data.limit(); i++) {
      if (data.get(i) == 'I' && data.get(i + 1) == 'E' && data.get(i + 2) == 'N' && data.get(i + 3) == 'D') {
        long length = Integer.toUnsignedLong((data.get(i - 4) & 0xFF) << 24 | (data.get(i - 3) & 0xFF) << 16
            | (data.get(i - 2) & 0xFF) << 8 | (data.get(i - 1) & 0xFF));
        if (i + 4 + length + 4 <= data.limit()) {
          return true;
        }
      }
    }
    return false;
  }
}
