package io.mobiserve.server.stream;

import java.util.ArrayDeque;

/**
 * A stream's frames waiting to be submitted to the pipeline, with the policy's bound: under LATEST, at
 * most {@code maxPending} wait and a newer frame pushes the oldest out (to be answered DROPPED); under
 * BLOCK nothing is dropped (the stream's window bounds them). Not thread-safe: the session's lock guards
 * it.
 */
final class PendingFrames {
  private final ArrayDeque<StreamFrame> waiting = new ArrayDeque<>();
  private final boolean dropOldest;
  private final int maxPending;

  PendingFrames(StreamSettings settings) {
    this.dropOldest = settings.latest();
    this.maxPending = settings.maxPending();
  }

  /**
   * Adds a frame.
   *
   * @return the oldest frame, pushed out to keep the bound, or null
   */
  StreamFrame push(StreamFrame frame) {
    waiting.addLast(frame);
    return dropOldest && waiting.size() > maxPending ? waiting.removeFirst() : null;
  }

  /** The oldest waiting frame, or null. */
  StreamFrame poll() {
    return waiting.pollFirst();
  }

  int size() {
    return waiting.size();
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  void clear() {
    waiting.clear();
  }
}
