package io.mobiserve.server.stream;

import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.StreamSummary;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** A stream's counters and the latency of its classified frames. Guarded by its session's lock. */
final class StreamStats {
  /** Three significant digits: a percentile is within 0.1% of the truth, in about 20 KB per stream. */
  private static final int SIGNIFICANT_DIGITS = 3;

  private long received;
  private long classified;
  private long dropped;
  private long failed;
  /** Microseconds from a frame's arrival to its answer being written; resizes as larger values come. */
  private final Histogram latencyMicros = new Histogram(SIGNIFICANT_DIGITS);

  void received() {
    received++;
  }

  /** Counts a frame whose answer was just written, {@code nowNanos}. */
  void written(StreamFrame frame, long nowNanos) {
    FrameStatus status = frame.answer().getStatus();
    switch (status) {
      case FRAME_STATUS_OK -> {
        classified++;
        latencyMicros.recordValue(Math.max(0, TimeUnit.NANOSECONDS.toMicros(nowNanos - frame.arrivalNanos)));
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
        .setLatencyP50Us(latencyMicros.getValueAtPercentile(50))
        .setLatencyP90Us(latencyMicros.getValueAtPercentile(90))
        .setLatencyP99Us(latencyMicros.getValueAtPercentile(99))
        .setLatencyMaxUs(latencyMicros.getMaxValue())
        .build();
  }
}
