package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InlineWhenIdleTest {
  private final List<Runnable> pooled = new ArrayList<>();
  private final AtomicBoolean idle = new AtomicBoolean();
  private final InlineWhenIdle executor = new InlineWhenIdle(pooled::add, idle::get);

  @Test
  void idle_runsTheTaskOnTheCallingThread() {
    idle.set(true);
    AtomicReference<Thread> ranOn = new AtomicReference<>();

    executor.execute(() -> ranOn.set(Thread.currentThread()));

    assertThat(ranOn.get()).isSameAs(Thread.currentThread());
    assertThat(pooled).isEmpty();
  }

  @Test
  void workQueued_handsTheTaskToThePool() {
    idle.set(false);
    AtomicBoolean ran = new AtomicBoolean();

    executor.execute(() -> ran.set(true));

    assertThat(ran).isFalse();
    assertThat(pooled).hasSize(1);
  }
}
