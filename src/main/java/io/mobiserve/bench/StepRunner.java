package io.mobiserve.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs one step: starts the load, drops the warm-up, closes a window every {@link StepTiming#window()},
 * and stops once the duration has passed and the last windows agree — or, at the latest, once the max
 * extension has passed too, the step then marked unstable. Always ends by itself.
 */
final class StepRunner {
  private final StepTiming timing;

  StepRunner(StepTiming timing) {
    this.timing = timing;
  }

  StepResult run(String label, double load, LoadGenerator generator, int imagesPerRequest) throws InterruptedException {
    StepRecorder recorder = new StepRecorder(imagesPerRequest);
    AtomicBoolean running = new AtomicBoolean(true);
    long start = System.nanoTime();
    boolean stable = false;
    try {
      generator.start(recorder, running::get, start);
      sleepUntil(start + timing.warmup().toNanos());
      recorder.startMeasuring();
      long windowStart = System.nanoTime();
      long end = windowStart + timing.duration().toNanos();
      long hardEnd = end + timing.maxExtension().toNanos();
      long slack = timing.window().toNanos() / 10;
      while (true) {
        sleepUntil(windowStart + timing.window().toNanos());
        long now = System.nanoTime();
        recorder.closeWindow(now - windowStart);
        windowStart = now;
        if (now >= end - slack) {
          stable = timing.stability().isStable(recorder.windows());
          if (stable || now + timing.window().toNanos() > hardEnd + slack) {
            break;
          }
        }
      }
    } finally {
      running.set(false);
    }
    generator.awaitDrained(timing.timeout().plusSeconds(5));
    return recorder.result(label, load, stable);
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }
}
