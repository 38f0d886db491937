package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StabilityRuleTest {
  private final StabilityRule rule = StabilityRule.PERF_ANALYZER;

  private static Window w(double rps, double p99) {
    return new Window(1.0, rps, p99);
  }

  @Test
  void threeWindowsWithinTenPercent_areStable() {
    assertThat(rule.isStable(List.of(w(100, 20), w(105, 21), w(109, 19.5)))).isTrue();
  }

  @Test
  void throughputVaryingMoreThanTenPercent_isUnstable() {
    assertThat(rule.isStable(List.of(w(100, 20), w(105, 20), w(111, 20)))).isFalse();
  }

  @Test
  void p99VaryingMoreThanTenPercent_isUnstable() {
    assertThat(rule.isStable(List.of(w(100, 20), w(100, 22.5), w(100, 20)))).isFalse();
  }

  @Test
  void exactlyTenPercent_isStable() {
    assertThat(rule.isStable(List.of(w(100, 20), w(110, 22), w(105, 21)))).isTrue();
  }

  @Test
  void onlyTheLastThreeWindowsCount() {
    assertThat(rule.isStable(List.of(w(10, 500), w(50, 90), w(100, 20), w(101, 20), w(99, 21)))).isTrue();
    assertThat(rule.isStable(List.of(w(100, 20), w(101, 20), w(99, 21), w(60, 21)))).isFalse();
  }

  @Test
  void fewerThanThreeWindows_areNotYetStable() {
    assertThat(rule.isStable(List.of(w(100, 20), w(100, 20)))).isFalse();
    assertThat(rule.isStable(List.of())).isFalse();
  }

  @Test
  void windowsWhereNothingCompleted_areNeverStable() {
    assertThat(rule.isStable(List.of(w(0, 0), w(0, 0), w(0, 0)))).isFalse();
  }
}
