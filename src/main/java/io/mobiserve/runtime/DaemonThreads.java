package io.mobiserve.runtime;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Named daemon threads, so that thread dumps say what each thread is for. */
public final class DaemonThreads {
  private DaemonThreads() {}

  /** Daemon threads named {@code prefix-0}, {@code prefix-1}, ... */
  public static ThreadFactory named(String prefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + count.getAndIncrement());
      thread.setDaemon(true);
      return thread;
    };
  }
}
