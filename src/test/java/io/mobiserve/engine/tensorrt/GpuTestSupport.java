package io.mobiserve.engine.tensorrt;

import io.mobiserve.model.ModelSpec;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.OpenCvImagePreprocessor;
import io.mobiserve.testing.DigitsFixture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;

/** Shared by the GPU tests: options, and the digits fixture preprocessed once. */
public final class GpuTestSupport {
  private GpuTestSupport() {}

  public static TensorRtOptions options(Precision precision, Path cacheDir) {
    return new TensorRtOptions(precision, cacheDir, TensorRtOptions.DEFAULT_WORKSPACE_BYTES, 0);
  }

  /** The held-out digits, preprocessed for {@code model}, as one direct native-order buffer. */
  public static FloatBuffer digitsInputs(ModelSpec model, List<DigitsFixture.Sample> samples) throws Exception {
    OpenCvImagePreprocessor preprocessor =
        new OpenCvImagePreprocessor(model.input(), model.preprocessing(), ImageLimits.DEFAULT);
    int image = model.input().elementCount();
    FloatBuffer all = ByteBuffer.allocateDirect(samples.size() * image * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < samples.size(); i++) {
      FloatBuffer slot = all.duplicate().position(i * image).limit((i + 1) * image).slice();
      preprocessor.preprocess(new ImageInput.Encoded(ByteBuffer.wrap(samples.get(i).bytes())), slot);
    }
    return all;
  }

  /** Images {@code from} (inclusive) to {@code to} (exclusive) of {@code all}. */
  public static FloatBuffer images(FloatBuffer all, int imageSize, int from, int to) {
    return all.duplicate().position(from * imageSize).limit(to * imageSize).slice();
  }

  public static int argmax(float[] row) {
    int best = 0;
    for (int k = 1; k < row.length; k++) {
      if (row[k] > row[best]) {
        best = k;
      }
    }
    return best;
  }
}
