package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.testing.FuzzBuffers;
import io.mobiserve.testing.Refusals;
import io.mobiserve.testing.TestImages;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.function.BinaryOperator;

/**
 * Fuzzes the preprocessor's entry, {@link OpenCvImagePreprocessor#preprocess}, as the server calls it
 * with a client's image: encoded bytes (the header checks, then OpenCV's decoders), raw pixels and
 * tensors (their validators). For each input it either writes exactly one model input of finite values
 * in range, or refuses with an {@link InvalidImageException} a client can read and writes nothing; it
 * never throws anything else, hangs or crashes the JVM.
 *
 * <p>The limits are small (64K pixels, 256 KiB), so that a bomb is refused at once and every input
 * decodes in milliseconds. Seeds: {@code OpenCvImagePreprocessorFuzzTestInputs/}
 * (scripts/make_fuzz_seeds.py). Fuzzing: scripts/fuzz.sh.
 */
class OpenCvImagePreprocessorFuzzTest {
  private static final InputShape SHAPE = new InputShape(3, 32, 32);
  private static final Preprocessing PREPROCESSING =
      new Preprocessing(36, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB);
  private static final ImageLimits LIMITS = new ImageLimits(256 << 10, 1 << 16);
  private static final OpenCvImagePreprocessor PREPROCESSOR =
      new OpenCvImagePreprocessor(SHAPE, PREPROCESSING, LIMITS);
  /** The range of a normalized byte, (0..1 - mean) / std, over the three channels. */
  private static final float LOWEST = normalized(0f, Math::min);
  private static final float HIGHEST = normalized(1f, Math::max);
  /** Floats around the model input in the destination, which must stay as they are. */
  private static final int GUARD = 5;
  private static final float SENTINEL = 42f;

  @FuzzTest(maxDuration = "30s")
  void anyEncodedBytes(byte[] data) {
    requireWrittenOrRefused(new ImageInput.Encoded(FuzzBuffers.readOnly(data)));
  }

  @FuzzTest(maxDuration = "30s")
  void anyRawOrTensor(FuzzedDataProvider data) {
    if (data.consumeBoolean()) {
      ImageInput.Raw raw = raw(data);
      if (requireWrittenOrRefused(raw) != null) {
        assertThat(raw.width()).isPositive();
        assertThat(raw.height()).isPositive();
        assertThat((long) raw.width() * raw.height()).isLessThanOrEqualTo(LIMITS.maxPixels());
        assertThat((long) raw.pixels().remaining()).isEqualTo(3L * raw.width() * raw.height());
      }
    } else {
      ByteBuffer tensor = tensor(data);
      FloatBuffer written = requireWrittenOrRefused(new ImageInput.Tensor(tensor));
      if (written != null) { // a tensor is copied as it is
        FloatBuffer sent = tensor.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int i = 0; i < SHAPE.elementCount(); i++) {
          assertThat(written.get(i)).isEqualTo(sent.get(i));
        }
      }
    }
  }

  /** Width and height anywhere in int (often small and positive), pixels of the right length or not. */
  private static ImageInput.Raw raw(FuzzedDataProvider data) {
    int width = data.consumeBoolean() ? data.consumeInt(1, 400) : data.consumeInt();
    int height = data.consumeBoolean() ? data.consumeInt(1, 400) : data.consumeInt();
    ChannelOrder order = data.pickValue(ChannelOrder.values());
    long expected = 3L * width * height;
    boolean exact = data.consumeBoolean() && expected > 0 && expected <= 3L * LIMITS.maxPixels();
    boolean direct = data.consumeBoolean();
    byte[] pixels = exact ? padded(data.consumeBytes((int) expected), (int) expected) : data.consumeRemainingAsBytes();
    return new ImageInput.Raw(direct ? TestImages.direct(pixels) : FuzzBuffers.readOnly(pixels), width, height, order);
  }

  /** A tensor of the right length with a few fuzzed values (NaN, infinities, extremes), or any bytes. */
  private static ByteBuffer tensor(FuzzedDataProvider data) {
    int offset = data.consumeInt(0, 3); // the bytes need not start at a float boundary of their buffer
    if (!data.consumeBoolean()) {
      byte[] bytes = data.consumeRemainingAsBytes();
      byte[] shifted = new byte[offset + bytes.length];
      System.arraycopy(bytes, 0, shifted, offset, bytes.length);
      return ByteBuffer.wrap(shifted).position(offset);
    }
    int floats = SHAPE.elementCount();
    ByteBuffer tensor = ByteBuffer.allocate(offset + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      tensor.putFloat(offset + 4 * i, (i % 17) / 8f - 1f);
    }
    int edits = data.consumeInt(0, 8);
    for (int i = 0; i < edits; i++) {
      tensor.putFloat(offset + 4 * data.consumeInt(0, floats - 1), data.consumeFloat());
    }
    return tensor.position(offset).order(ByteOrder.BIG_ENDIAN).asReadOnlyBuffer();
  }

  /**
   * Preprocesses {@code image} into a destination with guards around it.
   *
   * @return the written model input when the image was accepted, null when it was refused
   */
  private static FloatBuffer requireWrittenOrRefused(ImageInput image) {
    int n = SHAPE.elementCount();
    FloatBuffer destination = TestImages.sentinelDestination(GUARD + n + GUARD);
    destination.position(GUARD);
    try {
      PREPROCESSOR.preprocess(image, destination);
    } catch (InvalidImageException e) {
      Refusals.requireReadable(e.getMessage(), e.getCause());
      assertThat(destination.position()).as("position after a refusal").isEqualTo(GUARD);
      assertThat(destination.array()).as("nothing written on a refusal").containsOnly(SENTINEL);
      return null;
    }
    assertThat(destination.position()).as("position after a model input").isEqualTo(GUARD + n);
    float[] all = destination.array();
    for (int i = 0; i < GUARD; i++) {
      assertThat(all[i]).as("guard before").isEqualTo(SENTINEL);
      assertThat(all[GUARD + n + i]).as("guard after").isEqualTo(SENTINEL);
    }
    boolean tensor = image instanceof ImageInput.Tensor;
    for (int i = GUARD; i < GUARD + n; i++) {
      float v = all[i];
      assertThat(Float.isFinite(v)).as("value %d is %s", i - GUARD, v).isTrue();
      if (!tensor) {
        assertThat(v).as("value %d", i - GUARD).isBetween(LOWEST, HIGHEST);
      }
    }
    return FloatBuffer.wrap(all, GUARD, n).slice();
  }

  private static byte[] padded(byte[] bytes, int length) {
    return Arrays.copyOf(bytes, length);
  }

  private static float normalized(float x, BinaryOperator<Float> pick) {
    float[] mean = PREPROCESSING.mean();
    float[] std = PREPROCESSING.std();
    float result = (x - mean[0]) / std[0];
    for (int c = 1; c < 3; c++) {
      result = pick.apply(result, (x - mean[c]) / std[c]);
    }
    return result;
  }
}
