package io.mobiserve.server.kserve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** serve --kserve-outputs, checked: some of the protocol's outputs, each once, always in the same order. */
class KServeModelOutputsTest {

  @Test
  void presented_isTheOutputsNamed_inTheModelsOrder() {
    assertThat(KServeModel.presented(List.of("probabilities"))).containsExactly("probabilities");
    assertThat(KServeModel.presented(List.of("logits"))).containsExactly("logits");
    assertThat(KServeModel.presented(List.of("probabilities", "logits"))).containsExactly("logits", "probabilities");
    assertThat(KServeModel.presented(KServeModel.OUTPUTS)).isEqualTo(KServeModel.OUTPUTS);
  }

  @Test
  void presented_refusesNoOutputAnUnknownOneOrOneNamedTwice() {
    assertThatThrownBy(() -> KServeModel.presented(List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one output");
    assertThatThrownBy(() -> KServeModel.presented(List.of("softmax")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown output 'softmax'; the outputs are 'logits' and 'probabilities'");
    assertThatThrownBy(() -> KServeModel.presented(List.of("logits", "logits")))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("output 'logits' is named twice");
  }
}
