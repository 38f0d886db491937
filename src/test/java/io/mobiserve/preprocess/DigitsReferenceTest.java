package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Our preprocessing against tensors computed independently in Python (cv2 INTER_AREA resize to 72, centre
 * crop 64, ImageNet mean/std, RGB; see digits/reference/README.md) for held-out digit PNGs 0000..0003.
 */
class DigitsReferenceTest {
  private static final Path DIGITS = Paths.get("src/test/resources/digits");
  private static final InputShape SHAPE = new InputShape(3, 64, 64);
  private static final int IMAGES = 4;
  /** Both sides resize with OpenCV's INTER_AREA on the same bytes, so only float rounding may differ. */
  private static final float TOLERANCE = 1e-4f;

  @Test
  void preprocess_matchesThePythonReferenceForHeldOutDigits() throws Exception {
    Path reference = DIGITS.resolve("reference/inputs.f32");
    assumeTrue(Files.isRegularFile(reference), "fixture " + reference + " not present");
    FloatBuffer expected = ByteBuffer.wrap(Files.readAllBytes(reference)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    assertThat(expected.remaining()).isEqualTo(IMAGES * SHAPE.elementCount());

    OpenCvImagePreprocessor preprocessor = new OpenCvImagePreprocessor(SHAPE,
        new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB),
        ImageLimits.DEFAULT);
    List<Path> pngs = heldOut();
    float maxDiff = 0;
    for (int image = 0; image < IMAGES; image++) {
      assertThat(pngs.get(image).getFileName().toString()).startsWith(String.format("%04d_", image));
      FloatBuffer actual = FloatBuffer.allocate(SHAPE.elementCount());
      preprocessor.preprocess(new ImageInput.Encoded(ByteBuffer.wrap(Files.readAllBytes(pngs.get(image)))), actual);
      for (int i = 0; i < SHAPE.elementCount(); i++) {
        float diff = Math.abs(actual.get(i) - expected.get(image * SHAPE.elementCount() + i));
        maxDiff = Math.max(maxDiff, diff);
      }
    }
    System.out.println("digits reference: max |diff| = " + maxDiff);
    assertThat(maxDiff).isLessThanOrEqualTo(TOLERANCE);
  }

  private static List<Path> heldOut() throws IOException {
    try (Stream<Path> files = Files.list(DIGITS.resolve("heldout"))) {
      return files.filter(p -> p.toString().endsWith(".png")).sorted().limit(IMAGES).toList();
    }
  }
}
