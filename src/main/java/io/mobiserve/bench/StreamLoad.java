package io.mobiserve.bench;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.StreamOptions;
import io.mobiserve.api.v1.StreamPolicy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * {@code streams} ClassifyStream calls, each sending a frame every {@code 1/fps} seconds (the streams'
 * phases spread evenly over one frame interval). The server answers each frame in order; a frame's
 * latency counts from its intended send time. A stream holds at most {@link #MAX_OUTSTANDING} frames in
 * flight; frames due beyond that wait in the stream's backlog and are sent late (counted), never dropped
 * by the client. Under the LATEST policy the server may answer a frame DROPPED: that is counted apart,
 * neither as a latency nor as an error.
 */
final class StreamLoad implements LoadGenerator {
  static final int MAX_OUTSTANDING = 64;

  private final ClassifyServiceGrpc.ClassifyServiceStub stub;
  private final ProtoRequests requests;
  private final int streams;
  private final double fps;
  private final StreamPolicy policy;
  private final Duration callLimit;
  private final AtomicLong sequence;
  private final List<FrameStream> open = new ArrayList<>();
  private CountDownLatch finished;
  private Thread sender;

  StreamLoad(ManagedChannel channel, List<BenchImage> images, int batch, int topK, int streams, double fps,
      StreamPolicy policy, Duration callLimit, AtomicLong sequence) {
    if (streams < 1) {
      throw new IllegalArgumentException("streams must be at least 1, not " + streams);
    }
    if (!(fps > 0)) {
      throw new IllegalArgumentException("fps must be positive, not " + fps);
    }
    this.stub = ClassifyServiceGrpc.newStub(channel);
    this.requests = new ProtoRequests(images, batch, topK);
    this.streams = streams;
    this.fps = fps;
    this.policy = policy;
    this.callLimit = callLimit;
    this.sequence = sequence;
  }

  @Override
  public void start(StepRecorder recorder, BooleanSupplier running, long startNanos) {
    finished = new CountDownLatch(streams);
    for (int i = 0; i < streams; i++) {
      open.add(new FrameStream(recorder));
    }
    ArrivalSchedule interval = ArrivalSchedule.constant(fps);
    long frameNanos = interval.nextIntervalNanos();
    sender = new Thread(() -> {
      long[] due = new long[streams];
      for (int i = 0; i < streams; i++) {
        due[i] = startNanos + frameNanos * i / streams;
      }
      while (true) {
        int next = 0;
        for (int i = 1; i < streams; i++) {
          if (due[i] < due[next]) {
            next = i;
          }
        }
        if (!OpenLoop.sleepUntil(due[next], running)) {
          break;
        }
        open.get(next).frameDue(due[next]);
        due[next] += frameNanos;
      }
      open.forEach(FrameStream::finish);
    }, "bench-streams");
    sender.setDaemon(true);
    sender.start();
  }

  @Override
  public boolean awaitDrained(Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    sender.join(Math.max(1, limit.toMillis()));
    boolean done = finished.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!done) {
      open.forEach(FrameStream::cancel);
    }
    return done;
  }

  /** One ClassifyStream call; its methods are synchronized so that one thread at a time writes to it. */
  private final class FrameStream implements StreamObserver<ClassifyStreamResponse> {
    private final StepRecorder recorder;
    private final StreamObserver<ClassifyStreamRequest> out;
    private final ArrayDeque<Long> backlog = new ArrayDeque<>();
    private final ArrayDeque<long[]> outstanding = new ArrayDeque<>();
    private boolean ended;
    private boolean halfClosed;
    private boolean completedSent;
    private boolean first = true;

    FrameStream(StepRecorder recorder) {
      this.recorder = recorder;
      this.out = stub.withDeadlineAfter(callLimit.toNanos(), TimeUnit.NANOSECONDS).classifyStream(this);
    }

    synchronized void frameDue(long intendedNanos) {
      if (ended) {
        return;
      }
      backlog.add(intendedNanos);
      pump();
    }

    private void pump() {
      while (!ended && !backlog.isEmpty() && outstanding.size() < MAX_OUTSTANDING) {
        long intended = backlog.poll();
        long frame = sequence.getAndIncrement();
        recorder.lateSend(System.nanoTime() - intended);
        outstanding.add(new long[] {frame, intended});
        ClassifyStreamRequest.Builder request = requests.frame(frame).toBuilder();
        if (first) {
          request.setStreamOptions(StreamOptions.newBuilder().setPolicy(policy));
          first = false;
        }
        out.onNext(request.build());
      }
      if (halfClosed && backlog.isEmpty() && !ended && !completedSent) {
        completedSent = true;
        out.onCompleted();
      }
    }

    synchronized void finish() {
      if (!halfClosed) {
        halfClosed = true;
        pump();
      }
    }

    synchronized void cancel() {
      if (!ended) {
        out.onError(Status.CANCELLED.withDescription("the bench step ended").asRuntimeException());
      }
    }

    @Override
    public synchronized void onNext(ClassifyStreamResponse response) {
      long now = System.nanoTime();
      if (response.hasSummary()) {
        return; // the stream's statistics, sent after the half-close: no frame of its own
      }
      long[] frame = outstanding.poll();
      if (frame == null) {
        recorder.record(Outcome.failure("BAD_RESPONSE", "a response for a frame that was not sent"), now);
        return;
      }
      if (response.getFrameId() == frame[0] && response.getStatus() == FrameStatus.FRAME_STATUS_DROPPED) {
        recorder.droppedFrame();
      } else if (response.getFrameId() != frame[0] || response.getStatus() != FrameStatus.FRAME_STATUS_OK) {
        recorder.record(Outcome.failure("BAD_RESPONSE", "frame " + frame[0] + " answered as frame "
            + response.getFrameId() + " with status " + response.getStatus() + " " + response.getError()), now);
      } else {
        recorder.record(requests.check(frame[0], response, now), frame[1]);
      }
      pump();
    }

    @Override
    public synchronized void onError(Throwable t) {
      if (ended) {
        return;
      }
      ended = true;
      Status status = Status.fromThrowable(t);
      // The stream's error answers every frame still outstanding.
      int unanswered = Math.max(1, outstanding.size());
      for (int i = 0; i < unanswered; i++) {
        recorder.record(Outcome.failure(status.getCode().name(), String.valueOf(status.getDescription())), 0);
      }
      outstanding.clear();
      backlog.clear();
      finished.countDown();
    }

    @Override
    public synchronized void onCompleted() {
      if (ended) {
        return;
      }
      ended = true;
      if (!outstanding.isEmpty()) {
        recorder.record(Outcome.failure("BAD_RESPONSE",
            "the server ended the stream with " + outstanding.size() + " frames unanswered"), 0);
      }
      finished.countDown();
    }
  }
}
