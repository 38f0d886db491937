package io.mobiserve.engine.tensorrt;

import static io.mobiserve.model.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The optimization profile and buffer sizes derived from a model and the options. */
class PlanningTest {
  private static final TensorRtOptions OPTIONS =
      new TensorRtOptions(Precision.AUTO, Path.of("unused"), TensorRtOptions.DEFAULT_WORKSPACE_BYTES, 8, 64, 0);

  @Test
  void dynamicBatchModel_getsOneToMaxTunedAtOpt() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, OPTIONS);

    assertThat(profile).isEqualTo(new BatchProfile(1, 8, 64, false, spec.input()));
    assertThat(profile.acceptedBatch(OPTIONS)).isEqualTo(64);
    assertThat(profile.runBatch(5)).isEqualTo(5);
    assertThat(profile.describe()).isEqualTo("batch=1/8/64 input=3x32x32");
  }

  @Test
  void fixedBatchModel_getsExactlyItsBatch_andRunsItPadded() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-2"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, OPTIONS);

    assertThat(profile).isEqualTo(new BatchProfile(2, 2, 2, true, spec.input()));
    assertThat(profile.acceptedBatch(OPTIONS)).isEqualTo(2);
    assertThat(profile.runBatch(1)).isEqualTo(2);
  }

  @Test
  void fixedBatchLargerThanTheConfiguredMaximum_acceptsOnlyTheMaximumPerCall() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-2"), ModelOverrides.none());
    TensorRtOptions one = new TensorRtOptions(Precision.FP32, Path.of("unused"), 1 << 20, 1, 1, 0);

    BatchProfile profile = BatchProfile.of(spec, one);

    assertThat(profile.max()).isEqualTo(2);
    assertThat(profile.acceptedBatch(one)).isEqualTo(1);
  }

  @Test
  void buffers_areSizedForTheLargestBatchInFloat32() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, OPTIONS);

    assertThat(profile.inputBytes()).isEqualTo(64L * 3 * 32 * 32 * 4);
    assertThat(profile.outputBytes(spec.classes())).isEqualTo(64L * 1000 * 4);
  }
}
