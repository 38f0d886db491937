package io.mobiserve.pipeline;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes the server lets calls make it hold at once — their images' bytes, the decode and resize
 * buffers, the preprocessed model inputs — reserved before any of it is used and released
 * deterministically when the work ends, whatever way it ends. A call that does not fit is refused at once,
 * before anything is decoded, instead of pushing the process out of memory.
 *
 * <p>Thread-safe and lock-free.
 */
public final class MemoryBudget {
  private final long limitBytes;
  private final AtomicLong used = new AtomicLong();

  /** @param limitBytes the most bytes reserved at once */
  public MemoryBudget(long limitBytes) {
    if (limitBytes < 1) {
      throw new IllegalArgumentException("a memory budget must be positive, not " + limitBytes + " bytes");
    }
    this.limitBytes = limitBytes;
  }

  /** A budget that never refuses: for tests and tools that measure something else. */
  public static MemoryBudget unlimited() {
    return new MemoryBudget(Long.MAX_VALUE);
  }

  /**
   * A budget sized for this JVM: a quarter of the smaller of its heap limit and its direct-memory limit
   * (the call's bytes live on the heap, the preprocessed images in direct memory), at least 64 MiB and at
   * most 512 MiB: about two seconds of queued work at a 2-core CPU server's speed, with room for the decode
   * buffers of the images being preprocessed; more would only let RSS grow under overload.
   */
  public static long defaultLimitBytes() {
    long heap = Runtime.getRuntime().maxMemory();
    long direct = maxDirectMemory();
    long quarter = Math.min(heap, direct) / 4;
    return Math.max(64L << 20, Math.min(512L << 20, quarter));
  }

  /** The JVM's direct-memory limit: -XX:MaxDirectMemorySize, or by default the heap limit. */
  static long maxDirectMemory() {
    for (String argument : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (argument.startsWith("-XX:MaxDirectMemorySize=")) {
        return parseSize(argument.substring("-XX:MaxDirectMemorySize=".length()));
      }
    }
    return Runtime.getRuntime().maxMemory();
  }

  private static long parseSize(String text) {
    String value = text.trim().toLowerCase(java.util.Locale.ROOT);
    long unit = switch (value.isEmpty() ? ' ' : value.charAt(value.length() - 1)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      case 't' -> 1L << 40;
      default -> 1;
    };
    String digits = unit == 1 ? value : value.substring(0, value.length() - 1);
    try {
      return Long.parseLong(digits) * unit;
    } catch (NumberFormatException e) {
      return Runtime.getRuntime().maxMemory();
    }
  }

  public long limitBytes() {
    return limitBytes;
  }

  /** The bytes reserved now. */
  public long usedBytes() {
    return used.get();
  }

  /**
   * Reserves {@code bytes} if they fit under the limit with what is reserved already.
   *
   * @return the reservation, or null when it does not fit now
   */
  public Reservation tryReserve(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("cannot reserve a negative " + bytes + " bytes");
    }
    while (true) {
      long current = used.get();
      if (bytes > limitBytes - current) {
        return null;
      }
      if (used.compareAndSet(current, current + bytes)) {
        return new Reservation(bytes);
      }
    }
  }

  /**
   * Bytes held from the budget, given back in parts or all at once. Releasing more than is left releases
   * what is left: a reservation never gives back more than it took. Thread-safe.
   */
  public final class Reservation implements AutoCloseable {
    private final AtomicLong held;

    private Reservation(long bytes) {
      this.held = new AtomicLong(bytes);
    }

    /** Gives back {@code bytes} of this reservation (or what is left of it). */
    public void release(long bytes) {
      while (true) {
        long current = held.get();
        long part = Math.min(current, Math.max(0, bytes));
        if (part == 0) {
          return;
        }
        if (held.compareAndSet(current, current - part)) {
          used.addAndGet(-part);
          return;
        }
      }
    }

    /** The bytes this reservation still holds. */
    public long heldBytes() {
      return held.get();
    }

    /** Gives back everything this reservation still holds. Idempotent. */
    @Override
    public void close() {
      release(Long.MAX_VALUE);
    }
  }
}
