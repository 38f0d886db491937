package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A closed-loop client refused with a retry pushback waits for it, unless told to misbehave. */
class ClosedLoopTest {

  /** Refuses every request at once, asking for a 100 ms wait. */
  private static final class RefusingTarget implements LoadTarget {
    final AtomicInteger sends = new AtomicInteger();

    @Override
    public CompletableFuture<Outcome> send(long sequence) {
      sends.incrementAndGet();
      return CompletableFuture.completedFuture(
          Outcome.refusal("RESOURCE_EXHAUSTED", "full", TimeUnit.MILLISECONDS.toNanos(100)));
    }

    @Override
    public String describe() {
      return "refusing";
    }

    @Override
    public void close() {}
  }

  private static int sendsIn300Millis(boolean honourPushback) throws InterruptedException {
    RefusingTarget target = new RefusingTarget();
    ClosedLoop loop = new ClosedLoop(target, 1, Duration.ofSeconds(1), new AtomicLong(), honourPushback);
    AtomicBoolean running = new AtomicBoolean(true);
    loop.start(new StepRecorder(1), running::get, System.nanoTime());
    Thread.sleep(300);
    running.set(false);
    assertThat(loop.awaitDrained(Duration.ofSeconds(5))).isTrue();
    return target.sends.get();
  }

  @Test
  void aRefusedClient_waitsThePushbackBeforeItsNextRequest() throws InterruptedException {
    assertThat(sendsIn300Millis(true)).isBetween(2, 5);
  }

  @Test
  void aMisbehavingClient_sendsAgainAtOnce() throws InterruptedException {
    assertThat(sendsIn300Millis(false)).isGreaterThan(50);
  }
}
