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
  /** A job taken out of the queue before it reached an engine, and why. */
  record Drop(Job job, SchedulingException.Reason reason, int images) {}

  private final Level live = new Level();
  private final Level bulk = new Level();
  private int images;

  void add(Job job) {
    (job.work.priority() == Priority.LIVE ? live : bulk).add(job);
    images += job.queuedImages();
  }

  int images() {
    return images;
  }

  /**
   * Takes out cancelled and expired jobs (into {@code drops}) and jobs already answered (an engine failed
   * another part of them), treats bulk jobs older than {@code agingBoundNanos} as live, and describes what
   * is left.
   */
  BatchPolicy.QueueState sweep(long nowNanos, long agingBoundNanos, List<Drop> drops) {
    if (images == 0) {
      return BatchPolicy.QueueState.EMPTY;
    }
    Scan scan = new Scan();
    live.sweep(nowNanos, drops, scan, null, 0);
    bulk.sweep(nowNanos, drops, scan, live, agingBoundNanos);
    images -= scan.removedImages;
    return new BatchPolicy.QueueState(images, scan.oldest, scan.earliestDeadline);
  }

  /** Moves up to {@code count} images into {@code batch}: live first, round-robin across sources. */
  void take(int count, List<ImageRef> batch) {
    for (int i = 0; i < count && images > 0; i++) {
      batch.add((live.isEmpty() ? bulk : live).takeOne());
      images--;
    }
  }

  /** Takes out the rest of a job that has been answered already. */
  void remove(Job job) {
    int removed = live.remove(job) ? job.queuedImages() : bulk.remove(job) ? job.queuedImages() : 0;
    images -= removed;
  }

  /** What a sweep found in the jobs it kept. */
  private static final class Scan {
    long oldest;
    boolean any;
    long earliestDeadline = BatchPolicy.QueueState.NO_DEADLINE;
    int removedImages;

    void keep(Job job) {
      if (!any || job.submittedNanos - oldest < 0) {
        oldest = job.submittedNanos;
        any = true;
      }
      long deadline = job.work.deadlineNanos();
      if (deadline != Long.MAX_VALUE
          && (earliestDeadline == BatchPolicy.QueueState.NO_DEADLINE || deadline - earliestDeadline < 0)) {
        earliestDeadline = deadline;
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

    void add(Job job) {
      Source source = bySource.get(job.work.source());
      if (source == null) {
        source = new Source(job.work.source());
        bySource.put(source.name, source);
        turns.addLast(source);
      }
      source.jobs.addLast(job);
    }

    ImageRef takeOne() {
      Source source = turns.pollFirst();
      Job job = source.jobs.peekFirst();
      ImageRef ref = new ImageRef(job, job.nextImage++);
      if (job.queuedImages() == 0) {
        source.jobs.pollFirst();
      }
      if (source.jobs.isEmpty()) {
        bySource.remove(source.name);
      } else {
        turns.addLast(source);
      }
      return ref;
    }

    boolean remove(Job job) {
      Source source = bySource.get(job.work.source());
      if (source == null || !source.jobs.remove(job)) {
        return false;
      }
      if (source.jobs.isEmpty()) {
        bySource.remove(source.name);
        turns.remove(source);
      }
      return true;
    }

    /** @param promoteTo where jobs older than the aging bound go, or null to keep them here */
    void sweep(long nowNanos, List<Drop> drops, Scan scan, Level promoteTo, long agingBoundNanos) {
      for (Iterator<Source> sources = turns.iterator(); sources.hasNext(); ) {
        Source source = sources.next();
        for (Iterator<Job> jobs = source.jobs.iterator(); jobs.hasNext(); ) {
          Job job = jobs.next();
          SchedulingException.Reason reason = job.isFinished() ? null : dropReason(job, nowNanos);
          if (reason != null || job.isFinished()) {
            jobs.remove();
            scan.removedImages += job.queuedImages();
            if (reason != null) {
              drops.add(new Drop(job, reason, job.queuedImages()));
            }
            continue;
          }
          scan.keep(job);
          if (promoteTo != null && nowNanos - job.submittedNanos >= agingBoundNanos) {
            jobs.remove();
            promoteTo.add(job);
          }
        }
        if (source.jobs.isEmpty()) {
          sources.remove();
          bySource.remove(source.name);
        }
      }
    }

    private static SchedulingException.Reason dropReason(Job job, long nowNanos) {
      if (job.work.cancelled().getAsBoolean()) {
        return SchedulingException.Reason.CANCELLED;
      }
      long deadline = job.work.deadlineNanos();
      if (deadline != Long.MAX_VALUE && nowNanos - deadline >= 0) {
        return SchedulingException.Reason.DEADLINE_EXPIRED;
      }
      return null;
    }
  }

  private static final class Source {
    final String name;
    final ArrayDeque<Job> jobs = new ArrayDeque<>();

    Source(String name) {
      this.name = name;
    }
  }
}
