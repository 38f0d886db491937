package io.mobiserve.testing;

import io.mobiserve.model.ModelSpec;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/** An encoded image preprocessed on the client side, as the server would: the model's float32 CHW input. */
public final class ModelInputs {
  private ModelInputs() {}

  /** The model's input for {@code encoded}, as little-endian float32 bytes. */
  public static byte[] tensorBytes(ModelSpec model, byte[] encoded) {
    ByteBuffer bytes = ByteBuffer.allocate(model.input().elementCount() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    FloatBuffer floats = bytes.asFloatBuffer();
    try {
      new OpenCvImagePreprocessor(model.input(), model.preprocessing(), ImageLimits.DEFAULT)
          .preprocess(new ImageInput.Encoded(ByteBuffer.wrap(encoded)), floats);
    } catch (InvalidImageException e) {
      throw new AssertionError(e);
    }
    return bytes.array();
  }

  /** The model's input for {@code encoded}, as floats. */
  public static float[] tensor(ModelSpec model, byte[] encoded) {
    float[] values = new float[model.input().elementCount()];
    ByteBuffer.wrap(tensorBytes(model, encoded)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }
}
