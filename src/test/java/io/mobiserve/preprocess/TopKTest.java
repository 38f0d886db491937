package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.mobiserve.model.Labels;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopKTest {

  @Test
  void softmax_probabilitiesSumToOne() {
    float[] p = Softmax.probabilities(new float[] {1, 2, 3, -4, 0.5f});
    double sum = 0;
    for (float v : p) {
      sum += v;
    }
    assertThat(sum).isCloseTo(1, within(1e-6));
    assertThat(p[2]).isCloseTo((float) (Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(-4)
        + Math.exp(0.5))), within(1e-6f));
  }

  @Test
  void softmax_hugeLogitsDoNotOverflow() {
    float[] p = Softmax.probabilities(new float[] {1e4f, 1e4f - 1, -1e4f});
    assertThat(p).doesNotContain(Float.NaN);
    assertThat(p[0]).isCloseTo((float) (1 / (1 + Math.exp(-1))), within(1e-6f));
    assertThat(p[1]).isCloseTo((float) (Math.exp(-1) / (1 + Math.exp(-1))), within(1e-6f));
    assertThat(p[2]).isZero();
  }

  @Test
  void softmax_refusesNonFiniteLogits() {
    assertThatThrownBy(() -> Softmax.probabilities(new float[] {1, Float.NaN}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("logit at index 1 is NaN");
  }

  @Test
  void topK_ordersByProbabilityWithLabels() {
    List<ClassScore> top = TopK.of(new float[] {0.1f, 3, -2, 2.5f, 1}, 3, Labels.of(List.of("a", "b", "c", "d", "e")));

    assertThat(top).extracting(ClassScore::index).containsExactly(1, 3, 4);
    assertThat(top).extracting(ClassScore::label).containsExactly("b", "d", "e");
    assertThat(top.get(0).probability()).isCloseTo(Softmax.probabilities(new float[] {0.1f, 3, -2, 2.5f, 1})[1],
        within(0f));
  }

  @Test
  void topK_breaksTiesByLowerIndex() {
    List<ClassScore> top = TopK.of(new float[] {1, 5, 2, 5, 2, 5}, 5, Labels.none());

    assertThat(top).extracting(ClassScore::index).containsExactly(1, 3, 5, 2, 4);
    assertThat(top).extracting(ClassScore::label).containsOnly("");
  }

  @Test
  void topK_allClassesAreSortedCompletely() {
    float[] logits = {3, 1, 4, 1, 5, 9, 2, 6};
    assertThat(TopK.of(logits, 8, Labels.none())).extracting(ClassScore::index).containsExactly(5, 7, 4, 2, 0, 6, 1, 3);
  }

  @Test
  void topK_refusesKOutOfRange() {
    assertThatThrownBy(() -> TopK.of(new float[] {1, 2}, 0, Labels.none()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("k must be between 1 and the number of classes (2), not 0");
    assertThatThrownBy(() -> TopK.of(new float[] {1, 2}, 3, Labels.none()))
        .hasMessage("k must be between 1 and the number of classes (2), not 3");
  }

  @Test
  void topK_refusesLabelsOfTheWrongCount() {
    assertThatThrownBy(() -> TopK.of(new float[] {1, 2, 3}, 1, Labels.of(List.of("a", "b"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("there are 2 labels for 3 classes");
  }

  @Test
  void largest_ranksRawValuesLargestFirstWithTiesByLowerIndex() {
    assertThat(TopK.largest(new float[] {-3, 7, 7, -1, 12}, 4)).containsExactly(4, 1, 2, 3);
    assertThatThrownBy(() -> TopK.largest(new float[] {1}, 2)).hasMessage("k must be between 1 and 1, not 2");
  }
}
