package io.mobiserve.server;

import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.StreamSummary;
import java.util.concurrent.TimeUnit;

/** A stream's counters and the latency of its classified frames. Guarded by its session's lock. */
final class StreamStats {
  private long received;
  private long classified;
  private long dropped;
  private long failed;
  private final LatencyHistogram latency = new LatencyHistogram();

  void received() {
    received++;
  }

  /** Counts a frame whose answer was just written, {@code nowNanos}. */
  void written(StreamFrame frame, long nowNanos) {
    FrameStatus status = frame.answer().getStatus();
    switch (status) {
      case FRAME_STATUS_OK -> {
        classified++;
        latency.record(TimeUnit.NANOSECONDS.toMicros(nowNanos - frame.arrivalNanos));
      }
      case FRAME_STATUS_DROPPED -> dropped++;
      default -> failed++;
    }
  }

  StreamSummary summary() {
    return StreamSummary.newBuilder()
        .setFramesReceived(received)
        .setFramesClassified(classified)
        .setFramesDropped(dropped)
        .setFramesFailed(failed)
        .setLatencyP50Us(latency.percentile(50))
        .setLatencyP90Us(latency.percentile(90))
        .setLatencyP99Us(latency.percentile(99))
        .setLatencyMaxUs(latency.max())
        .build();
  }
}
