package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EngineHealthTest {
  private final List<String> events = new ArrayList<>();
  private final EngineHealthListener watcher = new EngineHealthListener() {
    @Override
    public void degraded(String reason) {
      events.add("degraded: " + reason);
    }

    @Override
    public void recovered() {
      events.add("recovered");
    }

    @Override
    public void failedOver(int images) {
      events.add("failed over " + images);
    }

    @Override
    public void restartRequired(String reason) {
      events.add("restart required: " + reason);
    }
  };

  @Test
  void instances_degradeTheWholeOnceAndRecoverItWhenTheLastRecovers() {
    EngineHealth health = EngineHealth.accelerated("onnxruntime-cpu");
    health.watch(watcher);

    health.degraded("instance 0: CUDA error");
    health.degraded("instance 1: CUDA error");
    health.recovered();
    assertThat(health.degraded()).isTrue();
    health.recovered();

    assertThat(events).containsExactly("degraded: instance 0: CUDA error", "recovered");
    assertThat(health.degraded()).isFalse();
    assertThat(health.degradedReason()).isEmpty();
    assertThat(health.acceleratedAndHealthy()).isTrue();
  }

  @Test
  void watch_tellsALateWatcherThatTheEnginesAreDegraded() {
    EngineHealth health = EngineHealth.accelerated("onnxruntime-cpu");
    health.degraded("CUDA error");

    health.watch(watcher);

    assertThat(events).containsExactly("degraded: CUDA error");
    assertThat(health.acceleratedAndHealthy()).isFalse();
  }

  @Test
  void failedOver_isPassedOnForEveryBatch() {
    EngineHealth health = EngineHealth.accelerated("onnxruntime-cpu");
    health.watch(watcher);

    health.failedOver(3);
    health.failedOver(1);

    assertThat(events).containsExactly("failed over 3", "failed over 1");
  }

  @Test
  void unaccelerated_isNeverAcceleratedAndHasNoFallback() {
    EngineHealth health = EngineHealth.unaccelerated();

    assertThat(health.accelerated()).isFalse();
    assertThat(health.acceleratedAndHealthy()).isFalse();
    assertThat(health.fallback()).isEmpty();
    assertThat(health.degraded()).isFalse();
  }

  @Test
  void restartRequired_withoutAFallback_meansNothingAnswers_andWatchersHearIt() {
    EngineHealth health = EngineHealth.accelerated("");
    health.watch(watcher);

    health.degraded("gpu failed: code 700");
    health.restartRequired("gpu failed: code 700; restart required");

    assertThat(events).containsExactly("degraded: gpu failed: code 700",
        "restart required: gpu failed: code 700; restart required");
    assertThat(health.restartRequired()).isTrue();
    assertThat(health.answering()).isFalse();
    assertThat(health.degradedReason()).isEqualTo("gpu failed: code 700; restart required");
  }

  @Test
  void restartRequired_withAFallback_stillAnswers() {
    EngineHealth health = EngineHealth.accelerated("onnxruntime-cpu");

    health.degraded("gpu failed: code 719");
    health.restartRequired("gpu failed: code 719; restart required");

    assertThat(health.restartRequired()).isTrue();
    assertThat(health.answering()).isTrue();
    assertThat(health.acceleratedAndHealthy()).isFalse();
  }

  @Test
  void restartRequired_isToldToALateWatcher_andOtherInstancesRecoveringDoNotClearIt() {
    EngineHealth health = EngineHealth.accelerated("");
    health.degraded("instance 1: out of memory");
    health.degraded("instance 0: code 700");
    health.restartRequired("instance 0: code 700; restart required");
    health.recovered(); // instance 1
    health.degraded("instance 2: out of memory");

    health.watch(watcher);

    assertThat(events).containsExactly("degraded: instance 0: code 700; restart required",
        "restart required: instance 0: code 700; restart required");
    assertThat(health.degraded()).isTrue();
    assertThat(health.answering()).isFalse();
  }

  @Test
  void healthyOrMerelyDegraded_answers() {
    EngineHealth health = EngineHealth.accelerated("");
    assertThat(health.answering()).isTrue();

    health.degraded("gpu failed: out of memory");

    assertThat(health.answering()).isTrue();
    assertThat(health.restartRequired()).isFalse();
    assertThat(EngineHealth.unaccelerated().answering()).isTrue();
  }
}
