package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The execution contexts of one engine: reused while healthy, never handed out after a sticky error. */
class ContextPoolTest {
  private final AtomicInteger created = new AtomicInteger();
  private final DeserializedEngine.ContextPool<String> pool = new DeserializedEngine.ContextPool<>("digits");

  private String borrow() throws EngineException {
    return pool.borrow(() -> "context " + created.incrementAndGet());
  }

  @Test
  void returnedContexts_areReused_soContextsCreatedIsThePeakInUse() throws EngineException {
    String a = borrow();
    String b = borrow();
    pool.giveBack(a);
    pool.giveBack(b);

    assertThat(borrow()).isEqualTo("context 2");
    assertThat(borrow()).isEqualTo("context 1");
    assertThat(borrow()).isEqualTo("context 3");
    assertThat(created).hasValue(3);
  }

  @Test
  void afterAStickyError_nothingIsHandedOut_andNothingTakenBack() throws EngineException {
    String a = borrow();
    String b = borrow();
    pool.giveBack(a);

    pool.lose("cudaErrorIllegalAddress, code 700");
    pool.giveBack(b);

    assertThat(pool.idleCount()).isZero();
    assertThatThrownBy(this::borrow)
        .isInstanceOf(UnrecoverableEngineException.class)
        .hasMessage("the TensorRT engine for digits cannot run again in this process: cudaErrorIllegalAddress, code 700");
    assertThat(created).hasValue(2);
  }

  @Test
  void lose_keepsTheFirstReason() {
    pool.lose("code 700");
    pool.lose("code 719");

    assertThatThrownBy(this::borrow).hasMessageEndingWith("code 700");
  }
}
