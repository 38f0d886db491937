package io.mobiserve.server.stream;

import io.grpc.stub.ServerCallStreamObserver;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import java.util.ArrayDeque;
import java.util.function.LongSupplier;

/**
 * Every frame a stream holds, in arrival order, and the writer that sends their answers in that order:
 * an answer goes out only when every earlier frame's answer has, and only while gRPC says the client can
 * take more ({@link ServerCallStreamObserver#isReady()}). So a slow reader leaves answers here, the
 * outbox fills, and the session stops asking for frames. Not thread-safe: the session's lock guards it
 * and serializes every write.
 */
final class OrderedOutbox {
  private final ArrayDeque<StreamFrame> frames = new ArrayDeque<>();
  private final ServerCallStreamObserver<ClassifyStreamResponse> out;
  private final StreamStats stats;
  private final LongSupplier nanoClock;

  OrderedOutbox(ServerCallStreamObserver<ClassifyStreamResponse> out, StreamStats stats, LongSupplier nanoClock) {
    this.out = out;
    this.stats = stats;
    this.nanoClock = nanoClock;
  }

  /** Takes its place for a frame that has just arrived. */
  void add(StreamFrame frame) {
    frames.addLast(frame);
  }

  /** The number of frames held: waiting, in the pipeline, or answered but not written. */
  int size() {
    return frames.size();
  }

  /** Writes answers from the head while they are ready and the transport can take them. */
  void drain() {
    while (!frames.isEmpty() && frames.peekFirst().answered() && out.isReady()) {
      StreamFrame frame = frames.removeFirst();
      out.onNext(frame.answer());
      stats.written(frame, nanoClock.getAsLong());
    }
  }

  /** Forgets every frame (the stream has ended), giving back what they held of the memory budget. */
  void clear() {
    frames.forEach(StreamFrame::releaseHeld);
    frames.clear();
  }
}
