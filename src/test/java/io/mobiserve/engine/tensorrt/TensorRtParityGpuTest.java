package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.EngineRuns;
import io.mobiserve.testing.GpuSuite;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TensorRT against ONNX Runtime on the 200 held-out digits: same answers, logits within precision. */
@Tag("gpu")
class TensorRtParityGpuTest {
  private static final int BATCH = 32;

  @TempDir Path dir;

  // One method per precision: scripts/gpu-check.sh reports each as its own verdict.
  @Test
  void fp32_digitsAgreeWithOnnxRuntime() throws Exception {
    digitsAgreeWithOnnxRuntime(Precision.FP32, 0.001f);
  }

  @Test
  void fp16_digitsAgreeWithOnnxRuntime() throws Exception {
    digitsAgreeWithOnnxRuntime(Precision.FP16, 0.05f);
  }

  private void digitsAgreeWithOnnxRuntime(Precision precision, float relativeTolerance) throws Exception {
    GpuSuite.requireTensorRt();
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    List<DigitsFixture.Sample> samples = DigitsFixture.heldOut();
    FloatBuffer inputs = GpuTestSupport.digitsInputs(model, samples);
    int image = model.input().elementCount();
    TensorRtEngineFactory factory =
        new TensorRtEngineFactory(GpuTestSupport.options(precision, dir.resolve("engines")));

    int sameTop1 = 0;
    float maxDiff = 0;
    float scale = 0;
    try (OrtEngine ort = OrtEngine.open(model, BatchSizes.upTo(BATCH), new OrtEngineOptions(2));
        InferenceEngine trt = factory.create(model, BatchSizes.upTo(BATCH))) {
      for (int from = 0; from < samples.size(); from += BATCH) {
        int to = Math.min(samples.size(), from + BATCH);
        FloatBuffer batch = GpuTestSupport.images(inputs, image, from, to);
        Logits expected = EngineRuns.run(ort, batch, to - from);
        Logits actual = EngineRuns.run(trt, batch, to - from);
        for (int i = 0; i < to - from; i++) {
          float[] e = expected.row(i);
          float[] a = actual.row(i);
          if (GpuTestSupport.argmax(e) == GpuTestSupport.argmax(a)) {
            sameTop1++;
          }
          for (int k = 0; k < e.length; k++) {
            maxDiff = Math.max(maxDiff, Math.abs(e[k] - a[k]));
            scale = Math.max(scale, Math.abs(e[k]));
          }
        }
      }
    }
    System.out.printf("TensorRtParityGpuTest %s: top-1 agreement %d/%d, max |TensorRT - ORT| = %.6f "
        + "(logit scale %.3f)%n", precision, sameTop1, samples.size(), maxDiff, scale);

    assertThat(sameTop1).isGreaterThanOrEqualTo((int) Math.ceil(0.99 * samples.size()));
    assertThat(scale).isPositive();
    assertThat(maxDiff).isLessThanOrEqualTo(relativeTolerance * scale);
  }
}
