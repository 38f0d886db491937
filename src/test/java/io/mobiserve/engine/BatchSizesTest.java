package io.mobiserve.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalInt;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The effective batch sizes, decided once from the request and the model. */
class BatchSizesTest {

  @Test
  void decide_keepsTheRequestedMax_forADynamicBatchModel() {
    BatchSizes sizes = BatchSizes.decide(16, new TreeSet<>(), OptionalInt.empty());

    assertThat(sizes).isEqualTo(new BatchSizes(16, 16));
  }

  @Test
  void decide_lowersTheMaxToTheModelsFixedBatch() {
    BatchSizes sizes = BatchSizes.decide(16, new TreeSet<>(), OptionalInt.of(4));

    assertThat(sizes).isEqualTo(new BatchSizes(4, 4));
  }

  @Test
  void decide_keepsTheRequest_whenTheFixedBatchIsLarger() {
    assertThat(BatchSizes.decide(8, new TreeSet<>(), OptionalInt.of(32))).isEqualTo(new BatchSizes(8, 8));
  }

  @Test
  void decide_tunesForTheLargestPreferredSizeThatFits() {
    TreeSet<Integer> preferred = new TreeSet<>(List.of(2, 4, 8));

    assertThat(BatchSizes.decide(16, preferred, OptionalInt.empty()).optimal()).isEqualTo(8);
    assertThat(BatchSizes.decide(16, preferred, OptionalInt.of(6)).optimal()).isEqualTo(4);
  }

  @Test
  void constructor_refusesImpossibleSizes() {
    assertThatThrownBy(() -> new BatchSizes(0, 0)).hasMessageContaining("max batch must be at least 1, not 0");
    assertThatThrownBy(() -> new BatchSizes(4, 5)).hasMessageContaining("from 1 to the max batch 4, not 5");
  }
}
