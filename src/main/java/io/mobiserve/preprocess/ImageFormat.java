package io.mobiserve.preprocess;

import java.nio.ByteBuffer;

/** The encoded formats we accept, recognised by their magic bytes rather than by what a client claims. */
enum ImageFormat {
  JPEG,
  PNG;

  private static final byte[] JPEG_MAGIC = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
  private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

  /** The format of the bytes from {@code data}'s position to its limit; never moves the position. */
  static ImageFormat detect(ByteBuffer data) throws InvalidImageException {
    if (startsWith(data, JPEG_MAGIC)) {
      return JPEG;
    }
    if (startsWith(data, PNG_MAGIC)) {
      return PNG;
    }
    throw new InvalidImageException("unsupported image format (expected JPEG or PNG)");
  }

  private static boolean startsWith(ByteBuffer data, byte[] magic) {
    if (data.remaining() < magic.length) {
      return false;
    }
    int start = data.position();
    for (int i = 0; i < magic.length; i++) {
      if (data.get(start + i) != magic[i]) {
        return false;
      }
    }
    return true;
  }
}
