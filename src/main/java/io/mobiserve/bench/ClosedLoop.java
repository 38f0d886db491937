package io.mobiserve.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * {@code concurrency} clients, each sending its next request as soon as its previous one is answered —
 * or, when the server refused it asking the client to wait (gRPC's retry pushback), once that wait is over,
 * as a well-behaved client does (unless told to ignore it). One thread per client, blocked while its request
 * is in flight.
 */
final class ClosedLoop implements LoadGenerator {
  private final LoadTarget target;
  private final int concurrency;
  private final Duration timeout;
  private final AtomicLong sequence;
  private final boolean honourPushback;
  private final List<Thread> clients = new ArrayList<>();

  ClosedLoop(LoadTarget target, int concurrency, Duration timeout, AtomicLong sequence, boolean honourPushback) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1, not " + concurrency);
    }
    this.target = target;
    this.concurrency = concurrency;
    this.timeout = timeout;
    this.sequence = sequence;
    this.honourPushback = honourPushback;
  }

  @Override
  public void start(StepRecorder recorder, BooleanSupplier running, long startNanos) {
    for (int i = 0; i < concurrency; i++) {
      Thread client = new Thread(() -> {
        while (running.getAsBoolean()) {
          long start = System.nanoTime();
          Outcome outcome = await(target.send(sequence.getAndIncrement()));
          recorder.record(outcome, start);
          if (honourPushback && outcome.retryAfterNanos() > 0) {
            waitWhile(running, outcome.retryAfterNanos());
          }
        }
      }, "bench-client-" + i);
      client.setDaemon(true);
      clients.add(client);
      client.start();
    }
  }

  /**
   * Waits up to {@code nanos} while the step runs, asleep the whole time: {@link #awaitDrained} wakes the
   * clients when the step ends. (Waking every few milliseconds to look, hundreds of waiting clients took a
   * tenth of a core that the server under test needed.)
   */
  private static void waitWhile(BooleanSupplier running, long nanos) {
    long until = System.nanoTime() + nanos;
    long left;
    while (running.getAsBoolean() && (left = until - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private Outcome await(java.util.concurrent.CompletableFuture<Outcome> outcome) {
    try {
      // The target's own deadline normally answers first; this is the backstop.
      return outcome.get(timeout.toNanos() + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return Outcome.failure("CLIENT_TIMEOUT", "no answer within the timeout, not even a deadline error");
    } catch (ExecutionException e) {
      return Outcome.failure("CLIENT_ERROR", String.valueOf(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Outcome.failure("CLIENT_ERROR", "interrupted");
    }
  }

  @Override
  public boolean awaitDrained(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    clients.forEach(LockSupport::unpark); // the step is over: end any client's pushback wait now
    for (Thread client : clients) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        client.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
    }
    return clients.stream().noneMatch(Thread::isAlive);
  }
}
