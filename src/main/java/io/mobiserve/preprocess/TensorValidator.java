package io.mobiserve.preprocess;

import io.mobiserve.model.InputShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Checks a client's preprocessed tensor — exact size, every value finite — and reads it as floats where
 * it lies, without a copy. Immutable and thread-safe.
 */
final class TensorValidator {
  private final InputShape shape;

  TensorValidator(InputShape shape) {
    this.shape = shape;
  }

  /**
   * A little-endian float view of {@code float32LittleEndian}'s bytes (from its position; its position and
   * byte order are left as they were).
   *
   * @throws InvalidImageException naming the problem: the wrong byte count, or the first value that is NaN
   *     or infinite
   */
  FloatBuffer checkedView(ByteBuffer float32LittleEndian) throws InvalidImageException {
    long expectedBytes = 4L * shape.elementCount();
    if (float32LittleEndian.remaining() != expectedBytes) {
      throw new InvalidImageException("tensor must be " + shape.channels() + "x" + shape.height() + "x" + shape.width()
          + " float32 = " + expectedBytes + " bytes, got " + float32LittleEndian.remaining() + " bytes");
    }
    FloatBuffer values = float32LittleEndian.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int n = values.remaining();
    for (int i = 0; i < n; i++) {
      float v = values.get(i);
      if (!Float.isFinite(v)) {
        throw new InvalidImageException("tensor value at index " + i + " is " + v);
      }
    }
    return values;
  }
}
