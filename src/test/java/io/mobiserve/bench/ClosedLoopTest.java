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

  /** Refuses every request at once, asking for a wait of {@code pushbackMillis}. */
  private static final class RefusingTarget implements LoadTarget {
    final AtomicInteger sends = new AtomicInteger();
    private final long pushbackMillis;

    RefusingTarget(long pushbackMillis) {
      this.pushbackMillis = pushbackMillis;
    }

    @Override
    public CompletableFuture<Outcome> send(long sequence) {
      sends.incrementAndGet();
      return CompletableFuture.completedFuture(
          Outcome.refusal("RESOURCE_EXHAUSTED", "full", TimeUnit.MILLISECONDS.toNanos(pushbackMillis)));
    }

    @Override
    public String describe() {
      return "refusing";
    }

    @Override
    public void close() {}
  }

  private static int sendsIn300Millis(boolean honourPushback) throws InterruptedException {
    RefusingTarget target = new RefusingTarget(100);
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

  @Test
  void aClientWaitingALongPushback_endsAsSoonAsTheStepEnds() throws InterruptedException {
    RefusingTarget target = new RefusingTarget(TimeUnit.MINUTES.toMillis(10));
    ClosedLoop loop = new ClosedLoop(target, 4, Duration.ofSeconds(1), new AtomicLong(), true);
    AtomicBoolean running = new AtomicBoolean(true);
    loop.start(new StepRecorder(1), running::get, System.nanoTime());
    Thread.sleep(100);
    running.set(false);
    long start = System.nanoTime();

    assertThat(loop.awaitDrained(Duration.ofSeconds(5))).isTrue();

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    assertThat(target.sends.get()).isEqualTo(4);
  }
}
