package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class BatchingConfigTest {
  private static final BatchingConfig DEFAULTS = BatchingConfig.defaults();

  @Test
  void defaults_areMaxBatch16OneMillisecondDelayNoPreferredSizes() {
    assertThat(DEFAULTS.maxBatch()).isEqualTo(16);
    assertThat(DEFAULTS.maxQueueDelayNanos()).isEqualTo(1_000_000);
    assertThat(DEFAULTS.preferredBatchSizes()).isEmpty();
    assertThat(DEFAULTS.maxQueuedImages()).isEqualTo(1024);
    assertThat(DEFAULTS.agingBoundNanos()).isEqualTo(50_000_000);
  }

  @Test
  void constructor_refusesBadValuesNamingThem() {
    assertThatThrownBy(() -> DEFAULTS.withMaxBatch(0)).hasMessage("max batch must be at least 1, not 0");
    assertThatThrownBy(() -> DEFAULTS.withPreferredBatchSizes(new TreeSet<>(List.of(4, 32))))
        .hasMessage("preferred batch size 32 is outside 1..max batch 16");
    assertThatThrownBy(() -> DEFAULTS.withPreferredBatchSizes(new TreeSet<>(List.of(0))))
        .hasMessageContaining("preferred batch size 0");
    assertThatThrownBy(() -> DEFAULTS.withMaxQueueDelayNanos(-1)).hasMessageContaining("not -1 ns");
    assertThatThrownBy(() -> DEFAULTS.withMaxQueuedImages(0)).hasMessageContaining("max queued images")
        .hasMessageContaining("not 0");
    assertThatThrownBy(() -> DEFAULTS.withAgingBoundNanos(-5)).hasMessageContaining("aging bound")
        .hasMessageContaining("not -5 ns");
  }

  @Test
  void preferredBatchSizes_areCopiedAndSorted() {
    TreeSet<Integer> sizes = new TreeSet<>(List.of(8, 2));
    BatchingConfig config = DEFAULTS.withPreferredBatchSizes(sizes);
    sizes.add(4);
    assertThat(config.preferredBatchSizes()).containsExactly(2, 8);
    assertThatThrownBy(() -> config.preferredBatchSizes().add(3)).isInstanceOf(UnsupportedOperationException.class);
  }
}
