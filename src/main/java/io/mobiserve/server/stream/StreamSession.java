package io.mobiserve.server.stream;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.pipeline.ImageClassification;
import io.mobiserve.pipeline.ImageRejectedException;
import io.mobiserve.pipeline.MemoryBudget;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.ProtoMapping;
import io.mobiserve.server.RequestParser;
import io.mobiserve.server.StatusMapper;
import java.util.ArrayList;
import java.util.List;

/**
 * One ClassifyStream call: frames in, one answer per frame out, in frame order, then a summary.
 *
 * <p>Flow control goes both ways. The session asks gRPC for frames only while the frames it holds
 * (waiting, in the pipeline, or answered but not yet written) plus those asked for stay within the
 * stream's window ({@link StreamSettings#window()}), and writes only while the transport is ready. So a
 * client that sends too fast is held back by HTTP/2 flow control, and a client that does not read fills
 * the {@link OrderedOutbox}, which stops the asking: memory stays bounded either way.
 *
 * <p>Under LATEST the window leaves room to read ahead: new frames keep arriving while the pipeline is
 * busy, and {@link PendingFrames} answers the oldest waiting ones DROPPED.
 *
 * <p>Threads: gRPC's callbacks (serialized per call) and the pipeline's completions (any thread) meet
 * under one lock, which also serializes every write. Work is handed to the pipeline outside the lock.
 * After a cancel, deadline or error the session forgets its frames, writes nothing more, and reports
 * itself cancelled to the pipeline so that its queued work is dropped before it reaches an engine.
 */
public final class StreamSession implements StreamObserver<ClassifyStreamRequest> {
  private final ClassificationPipeline pipeline;
  private final MemoryBudget budget;
  private final RequestParser parser;
  private final ServerCallStreamObserver<ClassifyStreamResponse> out;
  private final CallScope scope;
  private final StreamSettings headerSettings;

  private final Object lock = new Object();
  // Guarded by lock.
  private final StreamStats stats = new StreamStats();
  private final OrderedOutbox outbox;
  private ClassifyStreamRequest first;
  private StreamSettings settings;
  private PendingFrames pending;
  private int inFlight;
  private int requested;
  private long received;
  private boolean halfClosed;
  // Written under lock; read by the pipeline through the scope.
  private volatile boolean ended;

  /**
   * @param callScope the call's deadline, cancellation, priority (LIVE) and source
   * @param headerSettings the policy the call's header chose, used unless the first message chooses
   */
  public StreamSession(ModelEndpoint serving, ServerCallStreamObserver<ClassifyStreamResponse> out, CallScope callScope,
      StreamSettings headerSettings) {
    this.pipeline = serving.pipeline();
    this.budget = pipeline.memoryBudget();
    this.parser = serving.parser();
    this.out = out;
    this.scope = new CallScope(callScope.deadlineNanos(), () -> ended || callScope.cancelled().getAsBoolean(),
        callScope.priority(), callScope.source());
    this.headerSettings = headerSettings;
    this.settings = headerSettings;
    this.pending = new PendingFrames(headerSettings);
    this.outbox = new OrderedOutbox(out, stats, System::nanoTime);
    out.disableAutoRequest();
    out.setOnCancelHandler(this::forget);
    out.setOnReadyHandler(this::onReady);
    synchronized (lock) {
      ask(1); // the first message settles the policy and with it the window
    }
  }

  /** An observer for a stream that has already been answered with an error. */
  public static StreamObserver<ClassifyStreamRequest> ignoring() {
    return new StreamObserver<>() {
      @Override
      public void onNext(ClassifyStreamRequest value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  @Override
  public void onNext(ClassifyStreamRequest request) {
    List<StreamFrame> toSubmit;
    synchronized (lock) {
      if (ended) {
        return;
      }
      requested--;
      long position = received++;
      try {
        if (first == null) {
          settings = StreamSettings.resolve(request, headerSettings);
          pending = new PendingFrames(settings);
          first = request;
        } else {
          StreamSettings.checkLater(request, first, position);
        }
      } catch (StatusException e) {
        end(e.getStatus());
        return;
      }
      stats.received();
      StreamFrame frame = arrive(request);
      if (frame == null) {
        return; // the stream ended: no memory for it
      }
      outbox.add(frame);
      if (!frame.answered()) {
        StreamFrame stale = pending.push(frame);
        if (stale != null) {
          stale.answerDropped();
        }
      }
      toSubmit = pump();
    }
    submit(toSubmit);
  }

  @Override
  public void onError(Throwable t) {
    // The client cancelled or the transport failed.
    forget();
  }

  @Override
  public void onCompleted() {
    List<StreamFrame> toSubmit;
    synchronized (lock) {
      if (ended) {
        return;
      }
      halfClosed = true;
      toSubmit = pump();
    }
    submit(toSubmit);
  }

  private void onReady() {
    List<StreamFrame> toSubmit;
    synchronized (lock) {
      // gRPC may call this when the stream is no longer ready (a spurious wake-up): then there is nothing to do.
      if (ended || !out.isReady()) {
        return;
      }
      toSubmit = pump();
    }
    submit(toSubmit);
  }

  /**
   * The frame for {@code request}, charged to the memory budget while the stream holds it: parsed, or
   * answered at once (refused, or dropped under LATEST when the budget cannot hold it). Null when the
   * stream had to end (BLOCK, and no memory for the frame). Called under the lock.
   */
  private StreamFrame arrive(ClassifyStreamRequest request) {
    long now = System.nanoTime();
    MemoryBudget.Reservation held = budget.tryReserve(request.getSerializedSize());
    if (held == null) {
      String full = "the server's memory budget is taken by other calls (" + (budget.usedBytes() >> 20) + " of "
          + (budget.limitBytes() >> 20) + " MiB in use)";
      if (!settings.latest()) {
        end(Status.RESOURCE_EXHAUSTED.withDescription("frame " + request.getFrameId() + ": " + full
            + "; under BLOCK every frame must be classified, so the stream ends: retry later or use LATEST"));
        return null;
      }
      StreamFrame dropped = new StreamFrame(request.getFrameId(), request.getCaptureTimeUs(), now, null);
      dropped.answerDropped();
      return dropped;
    }
    try {
      StreamFrame frame = new StreamFrame(request.getFrameId(), request.getCaptureTimeUs(), now,
          parser.parse(request.getImagesList(), request.getTopK()));
      frame.hold(held);
      return frame;
    } catch (StatusException e) {
      held.close();
      StreamFrame refused = new StreamFrame(request.getFrameId(), request.getCaptureTimeUs(), now, null);
      refused.answerError(e.getStatus().getDescription());
      return refused;
    }
  }

  /**
   * Moves everything along after an event: takes waiting frames into the pipeline while the stream has
   * room in it, writes what is ready, finishes once the client has half-closed and every frame is
   * answered, and asks for more frames while the window has room. Called under the lock.
   *
   * @return the frames to hand to the pipeline, outside the lock
   */
  private List<StreamFrame> pump() {
    List<StreamFrame> toSubmit = new ArrayList<>(2);
    while (inFlight < settings.maxInFlight() && !pending.isEmpty()) {
      toSubmit.add(pending.poll());
      inFlight++;
    }
    outbox.drain();
    if (halfClosed) {
      if (outbox.size() == 0 && out.isReady()) {
        ended = true;
        out.onNext(ClassifyStreamResponse.newBuilder().setSummary(stats.summary()).build());
        out.onCompleted();
      }
    } else {
      int room = first == null ? 1 - requested : settings.room(outbox.size(), pending.size() + inFlight) - requested;
      if (room > 0) {
        ask(room);
      }
    }
    return toSubmit;
  }

  private void ask(int frames) {
    requested += frames;
    out.request(frames);
  }

  private void submit(List<StreamFrame> frames) {
    for (StreamFrame frame : frames) {
      try {
        RequestParser.Parsed parsed;
        synchronized (lock) {
          parsed = frame.parsed;
          frame.releaseHeld(); // the pipeline charges the images from here on
        }
        pipeline.classify(parsed.images(), parsed.topK(), scope)
            .whenComplete((results, failure) -> classified(frame, parsed, results, failure));
      } catch (RuntimeException e) {
        classified(frame, frame.parsed, null, e);
      }
    }
  }

  private void classified(
      StreamFrame frame, RequestParser.Parsed parsed, List<ImageClassification> results, Throwable failure) {
    List<StreamFrame> toSubmit;
    synchronized (lock) {
      if (ended) {
        return;
      }
      inFlight--;
      if (failure == null) {
        frame.answer(ClassifyStreamResponse.newBuilder().addAllResults(ProtoMapping.classifications(parsed.ids(), results)),
            FrameStatus.FRAME_STATUS_OK);
      } else {
        Throwable cause = StatusMapper.unwrap(failure);
        if (cause instanceof ImageRejectedException
            || cause instanceof SchedulingException e && e.reason() == SchedulingException.Reason.TOO_LARGE) {
          frame.answerError(cause.getMessage());
        } else if (settings.latest() && cause instanceof SchedulingException e && isTransient(e.reason())) {
          // The server is over a transient limit: under LATEST a frame not classified is a frame dropped.
          frame.answerDropped();
        } else {
          // Under BLOCK, a full server breaks the promise to classify every frame: end the stream with
          // RESOURCE_EXHAUSTED rather than wait (the client should back off or choose LATEST). Engine
          // failures, deadlines and shutdown end it too: nothing was wrong with the frame.
          Status status = StatusMapper.toStatus(failure);
          end(status.withDescription("frame " + frame.frameId + ": " + status.getDescription()));
          return;
        }
      }
      toSubmit = pump();
    }
    submit(toSubmit);
  }

  private static boolean isTransient(SchedulingException.Reason reason) {
    return reason == SchedulingException.Reason.QUEUE_FULL || reason == SchedulingException.Reason.MEMORY_FULL
        || reason == SchedulingException.Reason.OVERLOADED;
  }

  /** Ends the stream with {@code status}, dropping what it holds. Called under the lock. */
  private void end(Status status) {
    forget();
    out.onError(status.asException());
  }

  /** Drops everything the stream holds; writes nothing more. Work already in the pipeline sees the scope cancelled. */
  private void forget() {
    synchronized (lock) {
      ended = true;
      pending.clear();
      outbox.clear();
    }
  }
}
