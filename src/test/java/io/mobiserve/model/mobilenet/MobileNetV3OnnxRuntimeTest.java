package io.mobiserve.model.mobilenet;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Runs the generated models in ONNX Runtime: they load, they compute, and folding keeps the function. */
class MobileNetV3OnnxRuntimeTest {
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  static Stream<Arguments> variants() {
    return Stream.of(Arguments.of(GeneratedModels.LARGE), Arguments.of(GeneratedModels.SMALL));
  }

  @ParameterizedTest
  @MethodSource("variants")
  void batchOfThree_givesFiniteVariedLogitsEqualToSingleImageRuns(MobileNetV3Config config) throws OrtException {
    int size = config.resolution();
    float[] batch = randomImages(3, size, 42);
    try (OrtSession session = session(GeneratedModels.bytes(config, true))) {
      float[][] together = run(session, batch, 3, size);
      assertThat(together).hasDimensions(3, 1000);
      for (int i = 0; i < 3; i++) {
        float[] row = together[i];
        for (float v : row) {
          assertThat(Float.isFinite(v)).as("logit finite").isTrue();
        }
        assertThat(standardDeviation(row)).as("logits of image %d vary across classes", i).isGreaterThan(1e-3);
        float[] image = Arrays.copyOfRange(batch, i * 3 * size * size, (i + 1) * 3 * size * size);
        float[] alone = run(session, image, 1, size)[0];
        assertThat(maxAbsDifference(row, alone)).as("image %d in a batch vs alone", i).isLessThan(1e-4);
      }
      assertThat(maxAbsDifference(together[0], together[1])).as("different images, different logits")
          .isGreaterThan(1e-3);
    }
  }

  @ParameterizedTest
  @MethodSource("variants")
  void foldedBatchNorm_computesTheSameLogitsAsUnfolded(MobileNetV3Config config) throws OrtException {
    int size = config.resolution();
    float[] images = randomImages(2, size, 7);
    float[][] folded;
    float[][] unfolded;
    try (OrtSession session = session(GeneratedModels.bytes(config, true))) {
      folded = run(session, images, 2, size);
    }
    try (OrtSession session = session(GeneratedModels.bytes(config, false))) {
      unfolded = run(session, images, 2, size);
    }
    for (int i = 0; i < 2; i++) {
      double scale = Math.max(1e-6, maxAbs(unfolded[i]));
      assertThat(maxAbsDifference(folded[i], unfolded[i]) / scale).as("relative difference, image %d", i)
          .isLessThan(1e-3);
    }
  }

  @Test
  void customConfig_width075Resolution160TenClasses_outputsBatchByTen() throws OrtException {
    MobileNetV3Config config = MobileNetV3Config.large(3).withWidth(0.75).withResolution(160).withClasses(10);
    try (OrtSession session = session(MobileNetV3OnnxBuilder.build(config).toByteArray())) {
      float[][] logits = run(session, randomImages(2, 160, 1), 2, 160);
      assertThat(logits).hasDimensions(2, 10);
      assertThat(standardDeviation(logits[0])).isGreaterThan(1e-3);
    }
  }

  private static OrtSession session(byte[] model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(2);
      return ENV.createSession(model, options);
    }
  }

  private static float[][] run(OrtSession session, float[] images, int batch, int size) throws OrtException {
    try (OnnxTensor input = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(images), new long[] {batch, 3, size, size});
        OrtSession.Result result = session.run(Map.of(MobileNetV3OnnxBuilder.INPUT_NAME, input))) {
      return (float[][]) result.get(MobileNetV3OnnxBuilder.OUTPUT_NAME).orElseThrow().getValue();
    }
  }

  /** Values in the range of a normalized image, uniform in [-2, 2). */
  private static float[] randomImages(int count, int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[count * 3 * size * size];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (random.nextDouble() * 4 - 2);
    }
    return values;
  }

  private static double maxAbsDifference(float[] a, float[] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  private static double maxAbs(float[] values) {
    double max = 0;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  private static double standardDeviation(float[] values) {
    double mean = 0;
    for (float v : values) {
      mean += v;
    }
    mean /= values.length;
    double squares = 0;
    for (float v : values) {
      squares += (v - mean) * (v - mean);
    }
    return Math.sqrt(squares / values.length);
  }
}
