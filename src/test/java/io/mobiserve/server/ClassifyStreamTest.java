package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.StreamOptions;
import io.mobiserve.api.v1.StreamPolicy;
import io.mobiserve.api.v1.StreamSummary;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.stream.StreamPolicyHeader;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.SlowedEngine;
import io.mobiserve.testing.StreamCall;
import io.mobiserve.testing.TestImages;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ClassifyStream's semantics on a real Netty server with the digits model: two servers, one at full
 * speed and one whose engine sleeps {@value #SLOW_MS} ms per batch, so that it is overloaded on purpose.
 */
class ClassifyStreamTest {
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);
  private static final long SLOW_MS = 30;

  private static RunningServer server;
  private static RunningServer slowServer;
  private static final AtomicLong slowBatches = new AtomicLong();
  private static List<Sample> samples;
  private static List<ByteString> pngs;

  @BeforeAll
  static void start() throws Exception {
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS);
    slowServer = new RunningServer(model,
        (m, batches) -> new SlowedEngine(OrtEngine.open(m, batches, new OrtEngineOptions(1)), SLOW_MS, slowBatches),
        RuntimeConfig.builder().build(), LIMITS);
    samples = DigitsFixture.heldOut();
    pngs = samples.stream().map(s -> ByteString.copyFrom(s.bytes())).toList();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
    slowServer.close();
  }

  private static ClassifyStreamRequest.Builder frame(long id) {
    return ClassifyStreamRequest.newBuilder()
        .setFrameId(id)
        .setCaptureTimeUs(1_700_000_000_000_000L + id)
        .setTopK(1)
        .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(pngs.get((int) (id % pngs.size())))));
  }

  private static ClassifyStreamRequest latestFrame(long id) {
    ClassifyStreamRequest.Builder frame = frame(id);
    if (id == 0) {
      frame.setStreamOptions(StreamOptions.newBuilder().setPolicy(StreamPolicy.STREAM_POLICY_LATEST));
    }
    return frame.build();
  }

  private static List<Long> ids(List<ClassifyStreamResponse> frames) {
    return frames.stream().map(ClassifyStreamResponse::getFrameId).toList();
  }

  private static List<Long> range(int count) {
    return LongStream.range(0, count).boxed().toList();
  }

  private static long count(List<ClassifyStreamResponse> frames, FrameStatus status) {
    return frames.stream().filter(r -> r.getStatus() == status).count();
  }

  private static void awaitQueueEmpty(RunningServer on) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (on.runtime().queuedImages() > 0 && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    assertThat(on.runtime().queuedImages()).as("images queued for an engine").isZero();
  }

  @Test
  void block_eightStreamsAt30FpsGetEveryFrameInOrderWithItsIdAndAMatchingSummary() throws Exception {
    int streams = 8;
    int frames = 300;
    List<StreamCall> calls = new ArrayList<>();
    List<Thread> senders = new ArrayList<>();
    for (int s = 0; s < streams; s++) {
      StreamCall call = StreamCall.open(server.asyncStub());
      calls.add(call);
      Thread sender = new Thread(() -> {
        long start = System.nanoTime();
        for (int i = 0; i < frames; i++) {
          long due = start + i * 1_000_000_000L / 30;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
          call.send(frame(i).build());
        }
        call.halfClose();
      });
      senders.add(sender);
      sender.start();
    }
    for (Thread sender : senders) {
      sender.join(30_000);
    }

    for (StreamCall call : calls) {
      call.await(30);
      List<ClassifyStreamResponse> answers = call.frames();
      assertThat(ids(answers)).containsExactlyElementsOf(range(frames));
      assertThat(answers).allSatisfy(r -> {
        assertThat(r.getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_OK);
        assertThat(r.getCaptureTimeUs()).isEqualTo(1_700_000_000_000_000L + r.getFrameId());
        assertThat(r.getResults(0).getTimings().getInferenceUs()).isPositive();
      });
      long right = answers.stream().filter(r -> r.getResults(0).getClasses(0).getIndex()
          == samples.get((int) (r.getFrameId() % samples.size())).label()).count();
      assertThat(right).as("frames classified right").isGreaterThanOrEqualTo(frames * 95L / 100);
      StreamSummary summary = call.summary();
      assertThat(summary.getFramesReceived()).isEqualTo(frames);
      assertThat(summary.getFramesClassified()).isEqualTo(frames);
      assertThat(summary.getFramesDropped()).isZero();
      assertThat(summary.getFramesFailed()).isZero();
      assertThat(summary.getLatencyP50Us()).isPositive()
          .isLessThanOrEqualTo(summary.getLatencyP99Us());
      assertThat(summary.getLatencyP99Us()).isLessThanOrEqualTo(summary.getLatencyMaxUs());
    }
  }

  /**
   * The engine takes 30 ms a frame and the client sends as fast as flow control lets it. A classified
   * frame waits for at most one frame running, one queued behind it (LATEST keeps two per stream in the
   * pipeline) and its own run: about 3 × 30 ms plus preprocessing. We assert p99 ≤ 400 ms, that bound
   * with room for this shared 2-core machine's noise; under BLOCK the same client's frames would wait
   * behind all 200.
   */
  @Test
  void latest_underOverloadDropsTheOldestFramesAnswersEachOnceInOrderAndBoundsLatency() throws Exception {
    int frames = 200;
    StreamCall call = StreamCall.open(slowServer.asyncStub());
    call.flood(frames, ClassifyStreamTest::latestFrame);
    call.await(60);

    List<ClassifyStreamResponse> answers = call.frames();
    assertThat(ids(answers)).containsExactlyElementsOf(range(frames));
    long dropped = count(answers, FrameStatus.FRAME_STATUS_DROPPED);
    long classified = count(answers, FrameStatus.FRAME_STATUS_OK);
    assertThat(dropped).as("dropped").isGreaterThan(frames / 2);
    assertThat(classified).as("classified").isPositive();
    assertThat(answers).filteredOn(r -> r.getStatus() == FrameStatus.FRAME_STATUS_DROPPED)
        .allSatisfy(r -> {
          assertThat(r.getResultsList()).isEmpty();
          assertThat(r.getCaptureTimeUs()).isEqualTo(1_700_000_000_000_000L + r.getFrameId());
        });
    assertThat(answers.get(frames - 1).getStatus()).as("the newest frame is never dropped")
        .isEqualTo(FrameStatus.FRAME_STATUS_OK);
    StreamSummary summary = call.summary();
    assertThat(summary.getFramesReceived()).isEqualTo(frames);
    assertThat(summary.getFramesClassified()).isEqualTo(classified);
    assertThat(summary.getFramesDropped()).isEqualTo(dropped);
    assertThat(summary.getFramesFailed()).isZero();
    assertThat(summary.getLatencyP99Us()).as("p99 µs").isLessThanOrEqualTo(400_000);
  }

  @Test
  void badFrame_midStreamIsAnsweredWithErrorAndLaterFramesAreClassified() throws Exception {
    byte[] jpeg = TestImages.jpeg(TestImages.decode(samples.get(3).bytes()), 0.9f);
    ByteString truncated = ByteString.copyFrom(TestImages.truncated(jpeg, jpeg.length / 2));
    StreamCall call = StreamCall.open(server.asyncStub());
    for (int i = 0; i < 10; i++) {
      ClassifyStreamRequest request = switch (i) {
        case 4 -> frame(i).setImages(0, Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(truncated))).build();
        case 6 -> ClassifyStreamRequest.newBuilder().setFrameId(i).build();
        default -> frame(i).build();
      };
      call.send(request);
    }
    call.halfClose();
    call.await(60);

    List<ClassifyStreamResponse> answers = call.frames();
    assertThat(ids(answers)).containsExactlyElementsOf(range(10));
    assertThat(answers.get(4).getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_ERROR);
    assertThat(answers.get(4).getError()).startsWith("image 0: ").containsIgnoringCase("truncated");
    assertThat(answers.get(6).getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_ERROR);
    assertThat(answers.get(6).getError()).isEqualTo("the request has no images");
    assertThat(answers.subList(7, 10)).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_OK));
    assertThat(call.summary().getFramesFailed()).isEqualTo(2);
    assertThat(call.summary().getFramesClassified()).isEqualTo(8);
  }

  /**
   * A client floods 640×480 noise JPEGs (about 300 KB each) and never reads an answer. The server keeps
   * classifying until the answers fill the transport's buffers (its 32 KB on-ready threshold and the
   * client's 16 KB window: a few hundred answers), then its outbox fills, it stops asking for frames, and
   * HTTP/2 flow control stops the client: the number of frames the client manages to send stops growing.
   * That plateau is the evidence that the server holds a bounded amount; the heap (client and server
   * share this JVM; measured after GC) must grow by less than 64 MB, well under what was sent. Meanwhile
   * another stream is served.
   */
  @Test
  void neverReadingClient_isHeldBackWithBoundedMemoryWhileAnotherStreamIsServed() throws Exception {
    ByteString big = ByteString.copyFrom(TestImages.jpeg(TestImages.noise(640, 480, 7), 0.8f));
    ManagedChannel smallWindow = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .usePlaintext().flowControlWindow(16 * 1024).build();
    try {
      long heapBefore = usedHeapAfterGc();
      StreamCall flood = StreamCall.openNeverReading(ClassifyServiceGrpc.newStub(smallWindow));
      flood.flood(1_000_000, i -> ClassifyStreamRequest.newBuilder().setFrameId(i)
          .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(big))).build());

      int plateau = awaitPlateau(flood);
      long heapDuring = usedHeapAfterGc();

      StreamCall other = StreamCall.open(server.asyncStub());
      other.flood(30, i -> frame(i).build());
      other.await(60);
      assertThat(ids(other.frames())).containsExactlyElementsOf(range(30));
      assertThat(flood.sent()).as("frames the flooding client got through").isEqualTo(plateau);
      assertThat(heapDuring - heapBefore).as("heap growth, bytes").isLessThan(64L << 20);

      flood.cancel();
      awaitQueueEmpty(server);
    } finally {
      smallWindow.shutdownNow();
    }
  }

  /** Waits until the client's sent count has not moved for a second; returns it. */
  private static int awaitPlateau(StreamCall call) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    int last = -1;
    while (System.nanoTime() < until) {
      Thread.sleep(1000);
      int now = call.sent();
      if (now == last) {
        return now;
      }
      last = now;
    }
    throw new AssertionError("the client kept sending: " + last + " frames");
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }

  @Test
  void cancelMidStream_emptiesTheQueueAndStopsEngineWorkForTheStream() throws Exception {
    StreamCall call = StreamCall.open(slowServer.asyncStub());
    for (int i = 0; i < 40; i++) {
      call.send(frame(i).build());
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (slowServer.runtime().queuedImages() < 3 && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertThat(slowServer.runtime().queuedImages()).as("queued before the cancel").isGreaterThanOrEqualTo(3);

    call.cancel();

    awaitQueueEmpty(slowServer);
    Thread.sleep(2 * SLOW_MS);
    long batches = slowBatches.get();
    Thread.sleep(10 * SLOW_MS);
    assertThat(slowBatches.get()).as("engine batches after the cancel").isEqualTo(batches);
    assertThat(call.frames().size()).isLessThan(40);
  }

  @Test
  void policyHeader_latestDropsFramesWithoutStreamOptions() throws Exception {
    Metadata headers = new Metadata();
    headers.put(StreamPolicyHeader.HEADER, "latest");
    StreamCall call = StreamCall.open(
        slowServer.asyncStub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
    call.flood(100, i -> frame(i).build());
    call.await(60);

    assertThat(ids(call.frames())).containsExactlyElementsOf(range(100));
    assertThat(call.summary().getFramesDropped()).isPositive();
  }

  @Test
  void firstMessageOptions_winOverTheHeader() throws Exception {
    Metadata headers = new Metadata();
    headers.put(StreamPolicyHeader.HEADER, "latest");
    StreamCall call = StreamCall.open(
        slowServer.asyncStub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)));
    call.flood(40, i -> i == 0
        ? frame(i).setStreamOptions(StreamOptions.newBuilder().setPolicy(StreamPolicy.STREAM_POLICY_BLOCK)).build()
        : frame(i).build());
    call.await(60);

    assertThat(count(call.frames(), FrameStatus.FRAME_STATUS_OK)).isEqualTo(40);
    assertThat(call.summary().getFramesDropped()).isZero();
  }

  @Test
  void malformedStreamMessages_endTheStreamWithInvalidArgument() throws Exception {
    Metadata badHeader = new Metadata();
    badHeader.put(StreamPolicyHeader.HEADER, "fastest");
    StreamCall header = StreamCall.open(
        server.asyncStub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(badHeader)));
    header.send(frame(0).build());

    StreamCall policy = StreamCall.open(server.asyncStub());
    policy.send(frame(0).setStreamOptions(StreamOptions.newBuilder().setPolicyValue(7)).build());

    StreamCall changed = StreamCall.open(server.asyncStub());
    changed.send(frame(0).build());
    changed.send(frame(1).setStreamOptions(StreamOptions.newBuilder().setPolicy(StreamPolicy.STREAM_POLICY_LATEST)).build());

    assertThat(statusOf(header)).extracting(Status::getCode).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(statusOf(header).getDescription()).contains("fastest");
    assertThat(statusOf(policy).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(statusOf(policy).getDescription()).contains("policy 7");
    assertThat(statusOf(changed).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(statusOf(changed).getDescription()).startsWith("message 1: stream_options differ");
  }

  private static Status statusOf(StreamCall call) {
    Throwable failure = catchThrowableOfType(() -> call.await(30), ExecutionException.class).getCause();
    return Status.fromThrowable(failure);
  }
}
