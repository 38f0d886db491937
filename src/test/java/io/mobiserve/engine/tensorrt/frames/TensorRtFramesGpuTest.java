package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.engine.tensorrt.GpuTestSupport;
import io.mobiserve.engine.tensorrt.Precision;
import io.mobiserve.engine.tensorrt.TensorRtEngine;
import io.mobiserve.engine.tensorrt.TensorRtEngineFactory;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.GpuPreprocessReference;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.EngineRuns;
import io.mobiserve.testing.GpuSuite;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TensorRtFrameEngine#inferFrames}: raw frames preprocessed by the CUDA kernels straight into the engine's
 * input give the answers of the same frames preprocessed by {@link GpuPreprocessReference} in Java.
 * Needs TensorRT, a GPU and the {@code -Pgpu} native build; skipped, saying which is missing, otherwise.
 */
@Tag("gpu")
class TensorRtFramesGpuTest {
  private static final int BATCH = 8;
  /** GPU and Java preprocessing differ by float rounding only: logits agree far closer than this. */
  private static final float RELATIVE_TOLERANCE = 1e-3f;

  /** Shared so the engine is built once and loaded from the cache by the later tests. */
  @TempDir static Path cacheDir;

  @BeforeEach
  void requireTensorRtAndKernels() {
    GpuSuite.requireTensorRt();
    GpuSuite.require(PreprocessKernels.isAvailable(),
        "GPU preprocessing kernels: " + PreprocessKernels.unavailableReason().orElse(""));
  }

  @Test
  void digits_gpuPreprocessedFramesAgreeWithOnnxRuntimeOnTheJavaReference() throws Exception {
    ModelSpec model = digitsModel();
    List<DigitsFixture.Sample> samples = DigitsFixture.heldOut();
    List<ImageInput.Raw> frames = decodeAll(samples);
    FloatBuffer reference = referenceInputs(model, frames);
    int image = model.input().elementCount();

    int sameTop1 = 0;
    Diff diff = new Diff();
    try (OrtEngine ort = OrtEngine.open(model, BatchSizes.upTo(BATCH), new OrtEngineOptions(2));
        TensorRtFrameEngine trt = open(model)) {
      for (int from = 0; from < frames.size(); from += BATCH) {
        int to = Math.min(frames.size(), from + BATCH);
        Logits expected = EngineRuns.run(ort, GpuTestSupport.images(reference, image, from, to), to - from);
        Logits actual = trt.inferFrames(frames.subList(from, to));
        for (int i = 0; i < to - from; i++) {
          if (GpuTestSupport.argmax(expected.row(i)) == GpuTestSupport.argmax(actual.row(i))) {
            sameTop1++;
          }
          diff.add(expected.row(i), actual.row(i));
        }
      }
    }
    System.out.printf("TensorRtFramesGpuTest: inferFrames vs ORT on the Java reference: top-1 agreement %d/%d, "
        + "max |logit diff| = %.6f (logit scale %.3f)%n", sameTop1, frames.size(), diff.max, diff.scale);

    assertThat(sameTop1).isGreaterThanOrEqualTo((int) Math.ceil(0.99 * frames.size()));
  }

  @Test
  void digits_gpuPreprocessingMatchesTheJavaReferenceThroughTheSameEngine() throws Exception {
    ModelSpec model = digitsModel();
    List<ImageInput.Raw> frames = decodeAll(DigitsFixture.heldOut());
    FloatBuffer reference = referenceInputs(model, frames);
    int image = model.input().elementCount();

    Diff diff = new Diff();
    try (TensorRtFrameEngine trt = open(model)) {
      for (int from = 0; from < frames.size(); from += BATCH) {
        int to = Math.min(frames.size(), from + BATCH);
        Logits expected = EngineRuns.run(trt.engine(), GpuTestSupport.images(reference, image, from, to), to - from);
        Logits actual = trt.inferFrames(frames.subList(from, to));
        for (int i = 0; i < to - from; i++) {
          diff.add(expected.row(i), actual.row(i));
        }
      }
    }
    System.out.printf("TensorRtFramesGpuTest: inferFrames vs infer on the Java reference: max |logit diff| = %.6f "
        + "(logit scale %.3f)%n", diff.max, diff.scale);

    assertThat(diff.scale).isPositive();
    assertThat(diff.max).isLessThanOrEqualTo(RELATIVE_TOLERANCE * diff.scale);
  }

  @Test
  void mixedBatch_givesEachFrameItsOwnRow() throws Exception {
    ModelSpec model = digitsModel();
    List<ImageInput.Raw> frames = List.of(
        noise(640, 480, ChannelOrder.RGB, 1), // shrinks
        noise(40, 30, ChannelOrder.BGR, 2), // enlarges, swapped channels
        noise(333, 517, ChannelOrder.RGB, 3), // odd sizes, unaligned length
        noise(1, 1, ChannelOrder.BGR, 4));
    FloatBuffer reference = referenceInputs(model, frames);

    Logits expected;
    Logits actual;
    try (TensorRtFrameEngine trt = open(model)) {
      expected = EngineRuns.run(trt.engine(), reference, frames.size());
      actual = trt.inferFrames(frames);
    }

    assertThat(actual.batchSize()).isEqualTo(frames.size());
    assertThat(actual.classes()).isEqualTo(model.classes());
    // Row by row against each frame's own reference: a frame read at another's offset would not match.
    Diff diff = new Diff();
    for (int i = 0; i < frames.size(); i++) {
      diff.add(expected.row(i), actual.row(i));
    }
    System.out.printf("TensorRtFramesGpuTest: mixed batch: max |logit diff| = %.6f (logit scale %.3f)%n",
        diff.max, diff.scale);
    assertThat(diff.scale).isPositive();
    assertThat(diff.max).isLessThanOrEqualTo(RELATIVE_TOLERANCE * diff.scale);
  }

  private static ModelSpec digitsModel() throws Exception {
    return OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
  }

  private static TensorRtFrameEngine open(ModelSpec model) throws Exception {
    TensorRtEngineFactory factory =
        new TensorRtEngineFactory(GpuTestSupport.options(Precision.FP32, cacheDir.resolve("engines")));
    return TensorRtFrameEngine.over((TensorRtEngine) factory.create(model, BatchSizes.upTo(BATCH)));
  }

  /** Each PNG as the raw RGB frame a client would send. */
  private static List<ImageInput.Raw> decodeAll(List<DigitsFixture.Sample> samples) throws Exception {
    List<ImageInput.Raw> frames = new ArrayList<>();
    for (DigitsFixture.Sample sample : samples) {
      BufferedImage png = ImageIO.read(new ByteArrayInputStream(sample.bytes()));
      byte[] rgb = new byte[3 * png.getWidth() * png.getHeight()];
      int at = 0;
      for (int y = 0; y < png.getHeight(); y++) {
        for (int x = 0; x < png.getWidth(); x++) {
          int argb = png.getRGB(x, y);
          rgb[at++] = (byte) (argb >> 16);
          rgb[at++] = (byte) (argb >> 8);
          rgb[at++] = (byte) argb;
        }
      }
      frames.add(new ImageInput.Raw(ByteBuffer.wrap(rgb), png.getWidth(), png.getHeight(), ChannelOrder.RGB));
    }
    return frames;
  }

  /** The frames preprocessed by the Java reference, as one direct native-order buffer. */
  private static FloatBuffer referenceInputs(ModelSpec model, List<ImageInput.Raw> frames) throws Exception {
    GpuPreprocessReference reference =
        new GpuPreprocessReference(model.input(), model.preprocessing(), ImageLimits.DEFAULT);
    FloatBuffer all = ByteBuffer.allocateDirect(frames.size() * model.input().elementCount() * Float.BYTES)
        .order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (ImageInput.Raw frame : frames) {
      reference.preprocess(frame, all);
    }
    return all.flip();
  }

  private static ImageInput.Raw noise(int width, int height, ChannelOrder order, long seed) {
    byte[] pixels = new byte[3 * width * height];
    new Random(seed).nextBytes(pixels);
    return new ImageInput.Raw(ByteBuffer.wrap(pixels), width, height, order);
  }

  /** The largest |expected - actual| over logits, and the largest |expected| as their scale. */
  private static final class Diff {
    float max;
    float scale;

    void add(float[] expected, float[] actual) {
      for (int k = 0; k < expected.length; k++) {
        max = Math.max(max, Math.abs(expected[k] - actual[k]));
        scale = Math.max(scale, Math.abs(expected[k]));
      }
    }
  }
}
