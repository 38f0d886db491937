package io.mobiserve.server.stream;

import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.pipeline.MemoryBudget;
import io.mobiserve.server.RequestParser;

/**
 * One frame of a stream, from its arrival to its answer being written. Guarded by its session's lock.
 */
final class StreamFrame {
  final long frameId;
  final long captureTimeUs;
  final long arrivalNanos;
  /** The frame's checked images; null for a frame refused on arrival, and once it is answered. */
  RequestParser.Parsed parsed;
  /** The memory budget the frame's bytes take while the stream holds them, until the pipeline takes over. */
  private MemoryBudget.Reservation held;
  private ClassifyStreamResponse answer;

  StreamFrame(long frameId, long captureTimeUs, long arrivalNanos, RequestParser.Parsed parsed) {
    this.frameId = frameId;
    this.captureTimeUs = captureTimeUs;
    this.arrivalNanos = arrivalNanos;
    this.parsed = parsed;
  }

  /** Charges the frame's bytes to the budget while the stream holds it. */
  void hold(MemoryBudget.Reservation reservation) {
    held = reservation;
  }

  /** Gives back the frame's charge: the pipeline has taken its images over, or the frame is done. */
  void releaseHeld() {
    if (held != null) {
      held.close();
      held = null;
    }
  }

  boolean answered() {
    return answer != null;
  }

  ClassifyStreamResponse answer() {
    return answer;
  }

  /** Answers the frame with {@code response} (its results), echoing the frame's id and capture time. */
  void answer(ClassifyStreamResponse.Builder response, FrameStatus status) {
    answer = response.setFrameId(frameId).setCaptureTimeUs(captureTimeUs).setStatus(status).build();
    parsed = null; // an answered frame keeps only its small answer, not its image bytes
    releaseHeld();
  }

  void answerDropped() {
    answer(ClassifyStreamResponse.newBuilder(), FrameStatus.FRAME_STATUS_DROPPED);
  }

  void answerError(String error) {
    answer(ClassifyStreamResponse.newBuilder().setError(error), FrameStatus.FRAME_STATUS_ERROR);
  }
}
