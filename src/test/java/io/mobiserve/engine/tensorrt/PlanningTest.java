package io.mobiserve.engine.tensorrt;

import static io.mobiserve.model.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import org.junit.jupiter.api.Test;

/** The optimization profile and buffer sizes derived from a model and the decided batch sizes. */
class PlanningTest {
  private static final BatchSizes UP_TO_64_TUNED_AT_8 = new BatchSizes(64, 8);

  @Test
  void dynamicBatchModel_getsOneToMaxTunedAtOpt() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, UP_TO_64_TUNED_AT_8);

    assertThat(profile).isEqualTo(new BatchProfile(1, 8, 64, false, spec.input()));
    assertThat(profile.runBatch(5)).isEqualTo(5);
    assertThat(profile.describe()).isEqualTo("batch=1/8/64 input=3x32x32");
  }

  @Test
  void fixedBatchModel_getsExactlyItsBatch_andRunsItPadded() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-2"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, UP_TO_64_TUNED_AT_8);

    assertThat(profile).isEqualTo(new BatchProfile(2, 2, 2, true, spec.input()));
    assertThat(profile.runBatch(1)).isEqualTo(2);
  }

  @Test
  void fixedBatchModel_keepsItsBatch_whateverSizesTheRuntimeDecided() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-2"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, BatchSizes.upTo(1));

    assertThat(profile).isEqualTo(new BatchProfile(2, 2, 2, true, spec.input()));
  }

  @Test
  void buffers_areSizedForTheLargestBatchInFloat32() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());

    BatchProfile profile = BatchProfile.of(spec, UP_TO_64_TUNED_AT_8);

    assertThat(profile.inputBytes()).isEqualTo(64L * 3 * 32 * 32 * 4);
    assertThat(profile.outputBytes(spec.classes())).isEqualTo(64L * 1000 * 4);
  }
}
