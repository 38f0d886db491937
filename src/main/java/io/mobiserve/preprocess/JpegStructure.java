package io.mobiserve.preprocess;

import java.nio.ByteBuffer;

/**
 * Reads a JPEG's frame size from its SOFn marker and checks that the data ends with EOI.
 *
 * <p>Why a marker scanner of our own rather than {@code javax.imageio}'s {@code ImageReader.getWidth}:
 * the scan is a few dozen bounds-checked reads over the segment headers, allocates nothing, needs no
 * ImageIO registry lookup or ImageInputStream per image, and cannot be pushed by a hostile file into
 * ImageIO's own decoding paths. Every read is checked against the limit before it is made.
 *
 * <p>Works on the bytes from the buffer's position to its limit with absolute reads; never moves the
 * position. Stateless.
 */
final class JpegStructure {
  private static final int SOI = 0xD8;
  private static final int EOI = 0xD9;
  private static final int SOS = 0xDA;
  private static final int TEM = 0x01;

  private JpegStructure() {}

  /** The SOI magic is assumed checked; walks the marker segments up to the first SOFn. */
  static ImageHeader header(ByteBuffer data) throws InvalidImageException {
    int end = data.limit();
    int p = data.position() + 2;
    while (true) {
      if (p >= end) {
        throw truncatedHeader();
      }
      if (u8(data, p) != 0xFF) {
        throw new InvalidImageException(
            "corrupt JPEG (expected a marker at byte " + (p - data.position()) + ")");
      }
      while (p < end && u8(data, p) == 0xFF) { // any number of 0xFF fill bytes may precede a marker
        p++;
      }
      if (p >= end) {
        throw truncatedHeader();
      }
      int marker = u8(data, p++);
      if (marker == TEM || marker == SOI || (marker >= 0xD0 && marker <= 0xD7)) {
        continue; // stand-alone markers carry no length
      }
      if (marker == EOI || marker == SOS || marker == 0x00) {
        throw new InvalidImageException("corrupt JPEG (no frame header before the image data)");
      }
      if (end - p < 2) {
        throw truncatedHeader();
      }
      int length = u16(data, p); // counts its own two bytes
      if (length < 2) {
        throw new InvalidImageException("corrupt JPEG (segment length " + length + ")");
      }
      if (end - p < length) {
        throw truncatedHeader();
      }
      if (isStartOfFrame(marker)) {
        // precision (1 byte), height (2), width (2), component count (1)
        if (length < 8) {
          throw new InvalidImageException("corrupt JPEG (frame header of " + length + " bytes)");
        }
        int height = u16(data, p + 3);
        int width = u16(data, p + 5);
        if (width == 0 || height == 0) {
          // height 0 defers to a DNL marker after the scan; too rare to be worth supporting
          throw new InvalidImageException("unsupported JPEG (frame header declares " + width + "x" + height + ")");
        }
        return new ImageHeader(ImageFormat.JPEG, width, height);
      }
      p += length;
    }
  }

  /**
   * libjpeg decodes a cut-off file into a partly grey image with only a warning, so the end is checked
   * here: FF D9 must end the data, followed by nothing but 0x00/0xFF padding (which some encoders
   * and cameras append). Inside entropy-coded data every 0xFF is stuffed as FF 00, so an FF D9 there
   * cannot appear by chance.
   */
  static void requireComplete(ByteBuffer data) throws InvalidImageException {
    int start = data.position();
    int q = data.limit() - 1;
    while (q >= start && (u8(data, q) == 0x00 || u8(data, q) == 0xFF)) {
      q--;
    }
    // q must be the D9 of an FF D9 that lies after the SOI (bytes start, start+1)
    if (q < start + 3 || u8(data, q) != EOI || u8(data, q - 1) != 0xFF) {
      throw new InvalidImageException("truncated JPEG (no end-of-image marker)");
    }
  }

  private static boolean isStartOfFrame(int marker) {
    // C0..CF, less DHT (C4), JPG (C8) and DAC (CC), which share the range
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
  }

  private static InvalidImageException truncatedHeader() {
    return new InvalidImageException("truncated JPEG (header ends before the frame size)");
  }

  private static int u8(ByteBuffer data, int index) {
    return data.get(index) & 0xFF;
  }

  private static int u16(ByteBuffer data, int index) {
    return u8(data, index) << 8 | u8(data, index + 1);
  }
}
