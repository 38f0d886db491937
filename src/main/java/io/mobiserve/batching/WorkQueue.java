package io.mobiserve.batching;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The queued images, by priority and then by source: taking images goes round-robin across sources within
 * a priority level, so that a source with a hundred images queued cannot keep a source with two out of the
 * next batch. Within a source, work leaves in arrival order.
 *
 * <p>Not thread-safe: the batcher's lock guards it.
 */
final class WorkQueue {
  /** Work taken out of the queue before it reached an engine, and why. */
  record Drop(AdmittedWork work, SchedulingException.Reason reason, int images) {}

  private final Level live = new Level();
  private final Level bulk = new Level();
  private int images;

  void add(AdmittedWork admitted) {
    (admitted.work.priority() == Priority.LIVE ? live : bulk).add(admitted);
    images += admitted.queuedImages();
  }

  int images() {
    return images;
  }

  /**
   * Takes out cancelled works and those whose deadline comes within {@code leadNanos} (the time a batch
   * takes: they cannot finish in time) into {@code drops} and works already answered (an engine failed
   * another part of them), treats bulk works older than {@code agingBoundNanos} as live, and describes what
   * is left.
   */
  BatchPolicy.QueueState sweep(long nowNanos, long leadNanos, long agingBoundNanos, List<Drop> drops) {
    if (images == 0) {
      return BatchPolicy.QueueState.EMPTY;
    }
    Scan scan = new Scan();
    live.sweep(nowNanos, leadNanos, drops, scan, null, 0);
    bulk.sweep(nowNanos, leadNanos, drops, scan, live, agingBoundNanos);
    images -= scan.removedImages;
    return new BatchPolicy.QueueState(images, scan.oldest, scan.earliestDeadline);
  }

  /** Moves up to {@code count} images into {@code batch}: live first, round-robin across sources. */
  void take(int count, List<BatchSlot> batch) {
    for (int i = 0; i < count && images > 0; i++) {
      batch.add((live.isEmpty() ? bulk : live).takeOne());
      images--;
    }
  }

  /** Takes out the rest of a work that has been answered already. */
  void remove(AdmittedWork admitted) {
    int removed = live.remove(admitted) ? admitted.queuedImages() : bulk.remove(admitted) ? admitted.queuedImages() : 0;
    images -= removed;
  }

  /** What a sweep found in the works it kept. */
  private static final class Scan {
    long oldest;
    boolean any;
    long earliestDeadline = BatchPolicy.QueueState.NO_DEADLINE;
    int removedImages;

    /** @param leadNanos how long before its deadline a work is dropped (the time a batch takes) */
    void keep(AdmittedWork admitted, long leadNanos) {
      if (!any || admitted.submittedNanos - oldest < 0) {
        oldest = admitted.submittedNanos;
        any = true;
      }
      long deadline = admitted.work.deadlineNanos();
      if (deadline == Long.MAX_VALUE) {
        return;
      }
      long due = deadline - leadNanos; // when it stops being worth computing
      if (earliestDeadline == BatchPolicy.QueueState.NO_DEADLINE || due - earliestDeadline < 0) {
        earliestDeadline = due;
      }
    }
  }

  /** One priority level: the sources with queued work, in turn order. */
  private static final class Level {
    private final ArrayDeque<Source> turns = new ArrayDeque<>();
    private final Map<String, Source> bySource = new HashMap<>();

    boolean isEmpty() {
      return turns.isEmpty();
    }

    void add(AdmittedWork admitted) {
      Source source = bySource.get(admitted.work.source());
      if (source == null) {
        source = new Source(admitted.work.source());
        bySource.put(source.name, source);
        turns.addLast(source);
      }
      source.works.addLast(admitted);
    }

    BatchSlot takeOne() {
      Source source = turns.pollFirst();
      AdmittedWork admitted = source.works.peekFirst();
      BatchSlot slot = new BatchSlot(admitted, admitted.nextImage++);
      if (admitted.queuedImages() == 0) {
        source.works.pollFirst();
      }
      if (source.works.isEmpty()) {
        bySource.remove(source.name);
      } else {
        turns.addLast(source);
      }
      return slot;
    }

    boolean remove(AdmittedWork admitted) {
      Source source = bySource.get(admitted.work.source());
      if (source == null || !source.works.remove(admitted)) {
        return false;
      }
      if (source.works.isEmpty()) {
        bySource.remove(source.name);
        turns.remove(source);
      }
      return true;
    }

    /** @param promoteTo where works older than the aging bound go, or null to keep them here */
    void sweep(long nowNanos, long leadNanos, List<Drop> drops, Scan scan, Level promoteTo, long agingBoundNanos) {
      for (Iterator<Source> sources = turns.iterator(); sources.hasNext(); ) {
        Source source = sources.next();
        for (Iterator<AdmittedWork> works = source.works.iterator(); works.hasNext(); ) {
          AdmittedWork admitted = works.next();
          SchedulingException.Reason reason = admitted.isFinished() ? null : dropReason(admitted, nowNanos, leadNanos);
          if (reason != null || admitted.isFinished()) {
            works.remove();
            scan.removedImages += admitted.queuedImages();
            if (reason != null) {
              drops.add(new Drop(admitted, reason, admitted.queuedImages()));
            }
            continue;
          }
          scan.keep(admitted, leadNanos);
          if (promoteTo != null && nowNanos - admitted.submittedNanos >= agingBoundNanos) {
            works.remove();
            promoteTo.add(admitted);
          }
        }
        if (source.works.isEmpty()) {
          sources.remove();
          bySource.remove(source.name);
        }
      }
    }

    private static SchedulingException.Reason dropReason(AdmittedWork admitted, long nowNanos, long leadNanos) {
      if (admitted.work.cancelled().getAsBoolean()) {
        return SchedulingException.Reason.CANCELLED;
      }
      long deadline = admitted.work.deadlineNanos();
      if (deadline != Long.MAX_VALUE && nowNanos + leadNanos - deadline >= 0) {
        return SchedulingException.Reason.DEADLINE_EXPIRED;
      }
      return null;
    }
  }

  private static final class Source {
    final String name;
    final ArrayDeque<AdmittedWork> works = new ArrayDeque<>();

    Source(String name) {
      this.name = name;
    }
  }
}
