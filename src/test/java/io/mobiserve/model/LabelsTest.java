package io.mobiserve.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LabelsTest {

  @Test
  void parse_readsOneNamePerLineIgnoringTrailingBlankLines() {
    Labels labels = Labels.parse("cat\r\ndog \nbird\n\n  \n");

    assertThat(labels.asList()).containsExactly("cat", "dog", "bird");
  }

  @Test
  void parse_refusesBlankLineBeforeTheLastName() {
    assertThatThrownBy(() -> Labels.parse("cat\n\nbird\n"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 2 is blank");
  }

  @Test
  void parse_refusesEmptyText() {
    assertThatThrownBy(() -> Labels.parse("\n\n")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void imagenet1k_hasTorchvisionNamesInIndexOrder() {
    Labels labels = Labels.imagenet1k();

    assertThat(labels.size()).isEqualTo(1000);
    assertThat(labels.name(0)).isEqualTo("tench");
    assertThat(labels.name(1)).isEqualTo("goldfish");
    assertThat(labels.name(207)).isEqualTo("golden retriever");
    assertThat(labels.name(999)).isEqualTo("toilet tissue");
    assertThat(Labels.imagenet1k()).isSameAs(labels);
  }
}
