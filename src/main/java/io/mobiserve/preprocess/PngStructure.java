package io.mobiserve.preprocess;

import java.nio.ByteBuffer;

/**
 * Reads a PNG's IHDR and checks that its chunk list reaches IEND, so that the pixel limit is enforced
 * before libpng allocates anything and a cut-off file is refused instead of decoded in part.
 *
 * <p>Works on the bytes from the buffer's position to its limit with absolute reads; never moves the
 * position. Stateless.
 */
final class PngStructure {
  private static final int SIGNATURE = 8;
  private static final int CHUNK_OVERHEAD = 12; // length, type, CRC
  private static final int IHDR = 0x49484452;
  private static final int IEND = 0x49454E44;

  private PngStructure() {}

  /** The signature is assumed checked; reads width and height from the IHDR chunk that must follow it. */
  static ImageHeader header(ByteBuffer data) throws InvalidImageException {
    int p = data.position() + SIGNATURE;
    if (data.limit() - p < CHUNK_OVERHEAD + 13) {
      throw new InvalidImageException("truncated PNG (no complete IHDR header)");
    }
    if (readBigEndianInt(data, p) != 13 || readBigEndianInt(data, p + 4) != IHDR) {
      throw new InvalidImageException("corrupt PNG (first chunk is not a 13-byte IHDR)");
    }
    int width = readBigEndianInt(data, p + 8);
    int height = readBigEndianInt(data, p + 12);
    // The PNG specification allows 1 .. 2^31-1; a negative int here is a value over that.
    if (width < 1 || height < 1) {
      throw new InvalidImageException("corrupt PNG (declares a size of "
          + Integer.toUnsignedString(width) + "x" + Integer.toUnsignedString(height) + ")");
    }
    return new ImageHeader(ImageFormat.PNG, width, height);
  }

  /** Walks the chunk list by its lengths (a handful of jumps, no CRC work: libpng checks those) to IEND. */
  static void requireComplete(ByteBuffer data) throws InvalidImageException {
    int end = data.limit();
    long p = data.position() + SIGNATURE;
    while (true) {
      if (end - p < CHUNK_OVERHEAD) {
        throw new InvalidImageException("truncated PNG (no IEND chunk)");
      }
      long length = Integer.toUnsignedLong(readBigEndianInt(data, (int) p));
      if (length > Integer.MAX_VALUE) {
        throw new InvalidImageException("corrupt PNG (chunk length over 2^31-1)");
      }
      int type = readBigEndianInt(data, (int) p + 4);
      long next = p + CHUNK_OVERHEAD + length;
      if (next > end) {
        throw new InvalidImageException("truncated PNG (no IEND chunk)");
      }
      if (type == IEND) {
        return;
      }
      p = next;
    }
  }

  // Byte by byte rather than getInt: the caller's buffer may have been set to little-endian.
  private static int readBigEndianInt(ByteBuffer data, int index) {
    return (data.get(index) & 0xFF) << 24
        | (data.get(index + 1) & 0xFF) << 16
        | (data.get(index + 2) & 0xFF) << 8
        | (data.get(index + 3) & 0xFF);
  }
}
