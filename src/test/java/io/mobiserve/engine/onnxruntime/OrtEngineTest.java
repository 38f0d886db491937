package io.mobiserve.engine.onnxruntime;

import static io.mobiserve.model.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.TestModels;
import io.mobiserve.testing.EngineRuns;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OrtEngineTest {
  private static final OrtEngineOptions ONE_THREAD = new OrtEngineOptions(1);
  private static final BatchSizes UP_TO_16 = BatchSizes.upTo(16);
  private static final int TINY_IMAGE = 3 * 32 * 32;

  @Test
  void run_matchesPyTorchLogitsOnDigitsBatch() throws Exception {
    Path digits = digitsFixture();
    FloatBuffer inputs = readFloats(digits.resolve("reference/inputs.f32"), 4 * 3 * 64 * 64);
    float[] expected = toArray(readFloats(digits.resolve("reference/logits.f32"), 4 * 10));

    try (OrtEngine engine = OrtEngine.open(load(digits.resolve("digits-mobilenetv3-small.onnx")), UP_TO_16, ONE_THREAD)) {
      Logits logits = EngineRuns.run(engine, inputs, 4);

      assertThat(logits.batchSize()).isEqualTo(4);
      assertThat(logits.classes()).isEqualTo(10);
      float maxDiff = 0;
      for (int i = 0; i < 4; i++) {
        float[] row = logits.row(i);
        for (int k = 0; k < 10; k++) {
          maxDiff = Math.max(maxDiff, Math.abs(row[k] - expected[i * 10 + k]));
        }
      }
      System.out.println("OrtEngineTest: digits batch of 4, max |ORT - PyTorch| = " + maxDiff);
      assertThat(maxDiff).isLessThanOrEqualTo(1e-4f);
    }
  }

  @Test
  void run_givesEachDigitAloneTheSameLogitsAsItsRowInTheBatch() throws Exception {
    Path digits = digitsFixture();
    int image = 3 * 64 * 64;
    FloatBuffer inputs = readFloats(digits.resolve("reference/inputs.f32"), 4 * image);

    try (OrtEngine engine = OrtEngine.open(load(digits.resolve("digits-mobilenetv3-small.onnx")), UP_TO_16, ONE_THREAD)) {
      Logits batch = EngineRuns.run(engine, inputs, 4);
      for (int i = 0; i < 4; i++) {
        FloatBuffer alone = direct(image);
        alone.put(inputs.duplicate().position(i * image).limit((i + 1) * image)).flip();

        float[] row = EngineRuns.run(engine, alone, 1).row(0);

        // Batched and single runs may take different kernel paths; allow float rounding only.
        assertThat(row).containsExactly(batch.row(i), within(1e-5f));
      }
    }
  }

  @Test
  void run_computesTinyModelLogits() throws Exception {
    // valid-1000 computes logits[n][k] = mean(image n) + k / 1000.
    FloatBuffer input = randomImages(3, TINY_IMAGE, 7);

    try (OrtEngine engine = OrtEngine.open(load(model("valid-1000")), UP_TO_16, ONE_THREAD)) {
      Logits logits = EngineRuns.run(engine, input, 3);

      assertThat(logits.batchSize()).isEqualTo(3);
      assertThat(logits.classes()).isEqualTo(1000);
      for (int n = 0; n < 3; n++) {
        double mean = 0;
        for (int j = 0; j < TINY_IMAGE; j++) {
          mean += input.get(n * TINY_IMAGE + j);
        }
        mean /= TINY_IMAGE;
        float[] row = logits.row(n);
        assertThat(row[0]).isCloseTo((float) mean, within(1e-5f));
        assertThat(row[999]).isCloseTo((float) (mean + 0.999), within(1e-5f));
      }
    }
  }

  @Test
  void input_isDirectNativeOrderMemorySizedForTheMaxBatch() throws Exception {
    try (OrtEngine engine = OrtEngine.open(load(model("valid-1000")), BatchSizes.upTo(4), ONE_THREAD)) {
      FloatBuffer input = engine.input();

      assertThat(input.isDirect()).isTrue();
      assertThat(input.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(input.capacity()).isEqualTo(4 * TINY_IMAGE);
      assertThat(engine.input()).isSameAs(input);
    }
  }

  @Test
  void run_readsTheImagesWrittenInPlace_acrossBatchSizes() throws Exception {
    FloatBuffer images = randomImages(3, TINY_IMAGE, 3);

    try (OrtEngine engine = OrtEngine.open(load(model("valid-1000")), UP_TO_16, ONE_THREAD)) {
      Logits three = EngineRuns.run(engine, images, 3);
      Logits one = EngineRuns.run(engine, images.duplicate().position(2 * TINY_IMAGE), 1);
      Logits threeAgain = EngineRuns.run(engine, images, 3);

      assertThat(one.row(0)).containsExactly(three.row(2));
      for (int i = 0; i < 3; i++) {
        assertThat(threeAgain.row(i)).containsExactly(three.row(i));
      }
    }
  }

  @Test
  void run_refusesBatchSizeOutsideOneToMaxBatch() throws Exception {
    try (OrtEngine engine = OrtEngine.open(load(model("valid-1000")), BatchSizes.upTo(4), ONE_THREAD)) {
      assertThatThrownBy(() -> engine.run(5))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("batch size must be from 1 to 4, not 5");
      assertThatThrownBy(() -> engine.run(0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("batch size must be from 1 to 4, not 0");
    }
  }

  @Test
  void open_refusesAMaxBatchAboveTheModelsFixedBatch() throws Exception {
    ModelSpec fixed = load(model("fixed-batch-2"));

    assertThatThrownBy(() -> OrtEngine.open(fixed, BatchSizes.upTo(4), ONE_THREAD))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max batch 4 exceeds the model's fixed batch of 2");
  }

  @Test
  void run_padsShortBatchForFixedBatchModel() throws Exception {
    FloatBuffer pair = randomImages(2, TINY_IMAGE, 11);

    try (OrtEngine engine = OrtEngine.open(load(model("fixed-batch-2")), BatchSizes.upTo(2), ONE_THREAD)) {
      float[] second = EngineRuns.run(engine, pair, 2).row(1);

      Logits alone = EngineRuns.run(engine, pair.duplicate().position(TINY_IMAGE), 1);

      assertThat(alone.batchSize()).isEqualTo(1);
      assertThat(alone.row(0)).containsExactly(second);
    }
  }

  @Test
  void info_describesCpuFp32() throws Exception {
    try (OrtEngine engine = OrtEngine.open(load(model("valid-1000")), UP_TO_16, ONE_THREAD)) {
      assertThat(engine.info()).isEqualTo(new EngineInfo("onnxruntime-cpu", "fp32"));
    }
  }

  @Test
  void open_wrapsOnnxRuntimeFailureNamingTheBackend() throws Exception {
    ModelSpec valid = load(model("valid-1000"));
    ModelSpec broken = new ModelSpec(valid.name(), valid.architecture(), model("not-onnx"), valid.inputName(),
        valid.input(), valid.classes(), valid.labels(), valid.preprocessing(), valid.trained(), valid.notes());

    assertThatThrownBy(() -> OrtEngine.open(broken, UP_TO_16, ONE_THREAD))
        .isInstanceOf(EngineException.class)
        .hasMessageStartingWith("onnxruntime-cpu: ");
  }

  @Test
  void options_refuseNonPositiveValues() {
    assertThatThrownBy(() -> new OrtEngineOptions(0)).hasMessageContaining("intra-op threads");
    assertThat(OrtEngineOptions.defaults().intraOpThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  private static ModelSpec load(Path file) throws Exception {
    return OnnxModelLoader.load(file, ModelOverrides.none());
  }

  private static Path digitsFixture() {
    Path digits = TestModels.digitsOrNull();
    assumeTrue(digits != null && Files.exists(digits.resolve("reference/logits.f32")),
        "the digits fixture is not in src/test/resources/digits");
    return digits;
  }

  private static FloatBuffer readFloats(Path file, int count) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes.remaining()).as("size of %s", file).isEqualTo(count * Float.BYTES);
    FloatBuffer floats = direct(count);
    floats.put(bytes.asFloatBuffer()).flip();
    return floats;
  }

  private static FloatBuffer randomImages(int count, int imageSize, long seed) {
    Random random = new Random(seed);
    FloatBuffer buffer = direct(count * imageSize);
    while (buffer.hasRemaining()) {
      buffer.put((float) random.nextGaussian());
    }
    return buffer.flip();
  }

  private static FloatBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }


  private static float[] toArray(FloatBuffer buffer) {
    float[] values = new float[buffer.remaining()];
    buffer.duplicate().get(values);
    return values;
  }
}
