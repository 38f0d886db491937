package io.mobiserve.bench;

/** One image ready to send, in the form of the run's {@link InputKind}. Immutable by convention. */
public sealed interface BenchImage {

  /** The number of bytes the image puts on the wire. */
  int byteSize();

  /** A JPEG or PNG file's bytes. */
  record Encoded(byte[] data) implements BenchImage {
    @Override
    public int byteSize() {
      return data.length;
    }
  }

  /** RGB pixels, height × width × 3. */
  record Raw(byte[] rgb, int width, int height) implements BenchImage {
    @Override
    public int byteSize() {
      return rgb.length;
    }
  }

  /** A little-endian float32 CHW tensor. */
  record Tensor(byte[] float32LittleEndian) implements BenchImage {
    @Override
    public int byteSize() {
      return float32LittleEndian.length;
    }
  }
}
