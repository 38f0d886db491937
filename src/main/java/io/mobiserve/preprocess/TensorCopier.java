package io.mobiserve.preprocess;

import io.mobiserve.model.InputShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Checks a client's preprocessed tensor (exact size, every value finite) and copies it into the
 * destination. Validation reads everything before anything is written. Immutable and thread-safe.
 */
final class TensorCopier {
  private final InputShape shape;

  TensorCopier(InputShape shape) {
    this.shape = shape;
  }

  void copy(ByteBuffer float32LittleEndian, FloatBuffer destination) throws InvalidImageException {
    long expectedBytes = 4L * shape.elementCount();
    if (float32LittleEndian.remaining() != expectedBytes) {
      throw new InvalidImageException("tensor must be " + shape.channels() + "x" + shape.height() + "x" + shape.width()
          + " float32 = " + expectedBytes + " bytes, got " + float32LittleEndian.remaining() + " bytes");
    }
    // duplicate: the caller's buffer keeps its position and byte order
    FloatBuffer values = float32LittleEndian.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    int n = values.remaining();
    for (int i = 0; i < n; i++) {
      float v = values.get(i);
      if (!Float.isFinite(v)) {
        throw new InvalidImageException("tensor value at index " + i + " is " + v);
      }
    }
    destination.put(values);
  }
}
