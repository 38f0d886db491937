package io.mobiserve.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
  private final MemoryBudget budget = new MemoryBudget(100);

  @Test
  void tryReserve_refusesWhatDoesNotFit_andLeavesTheBudgetAsItWas() {
    MemoryBudget.Reservation first = budget.tryReserve(70);

    assertThat(first).isNotNull();
    assertThat(budget.tryReserve(31)).isNull();
    assertThat(budget.usedBytes()).isEqualTo(70);
    assertThat(budget.tryReserve(30)).isNotNull();
    assertThat(budget.usedBytes()).isEqualTo(100);
  }

  @Test
  void release_givesBackPartsThenTheRest_neverMoreThanWasTaken() {
    MemoryBudget.Reservation reservation = budget.tryReserve(60);

    reservation.release(25);
    assertThat(budget.usedBytes()).isEqualTo(35);
    reservation.release(1_000);
    assertThat(budget.usedBytes()).isZero();
    reservation.close();
    reservation.close();
    reservation.release(5);
    assertThat(budget.usedBytes()).isZero();
    assertThat(reservation.heldBytes()).isZero();
  }

  @Test
  void concurrentReservations_neverTakeTheBudgetOverItsLimit_andAllComeBack() throws Exception {
    MemoryBudget shared = new MemoryBudget(1_000);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    long[] maxSeen = new long[1];
    for (int t = 0; t < 8; t++) {
      Thread thread = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < 20_000; i++) {
          MemoryBudget.Reservation r = shared.tryReserve(7 + i % 90);
          long used = shared.usedBytes();
          synchronized (maxSeen) {
            maxSeen[0] = Math.max(maxSeen[0], used);
          }
          if (r != null) {
            r.release(3);
            r.close();
          }
        }
      });
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) {
      thread.join(30_000);
    }

    assertThat(maxSeen[0]).isLessThanOrEqualTo(1_000);
    assertThat(shared.usedBytes()).isZero();
  }

  @Test
  void constructor_andReserve_refuseNonsense() {
    assertThatThrownBy(() -> new MemoryBudget(0)).hasMessageContaining("must be positive");
    assertThatThrownBy(() -> budget.tryReserve(-1)).hasMessageContaining("negative");
  }

  @Test
  void defaultLimit_isWithinItsBounds() {
    assertThat(MemoryBudget.defaultLimitBytes()).isBetween(64L << 20, 512L << 20);
  }
}
