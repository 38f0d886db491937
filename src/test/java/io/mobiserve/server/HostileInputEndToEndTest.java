package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.FrameStatus;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.ByteMessages;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import io.mobiserve.testing.StreamCall;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The defects a hostile client found, each against a real server: none of them may end in INTERNAL or
 * UNKNOWN, end a stream, show a negative size, or leave a call counted in flight.
 */
class HostileInputEndToEndTest {
  private static final ServerLimits LIMITS = new ServerLimits(4, ImageLimits.DEFAULT, 8 << 20);

  private static RunningServer server;
  private static PrometheusMetrics metrics;
  private static ModelSpec model;

  @BeforeAll
  static void start() throws Exception {
    model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    metrics = PrometheusMetrics.create();
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS, metrics);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void malformedProtobuf_isInvalidArgument_andLeavesNoCallInFlight() throws Exception {
    byte[] hostile = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01};

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        ClientCalls.blockingUnaryCall(rawCall("mobiserve.v1.ClassifyService/Classify"), hostile));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains("ClassifyRequest");
    assertInFlightReturnsToZero();
  }

  @Test
  void malformedProtobufOnAStream_endsItWithInvalidArgument_andLeavesNoCallInFlight() throws Exception {
    byte[] hostile = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x01};
    ClientCall<byte[], byte[]> call = rawStreamCall();
    StatusRecorder closed = new StatusRecorder();
    call.start(closed, new Metadata());
    call.request(1);
    call.sendMessage(hostile);
    call.halfClose();

    assertThat(closed.await().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertInFlightReturnsToZero();
  }

  @Test
  void aHugeFiniteTensor_isInvalidArgumentNamingTheImage() {
    Image huge = tensorFilledWith(1e38f);

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class, () ->
        server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(tensorFilledWith(0.5f))
            .addImages(huge).build()));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).startsWith("image 1: ").contains("not finite");
  }

  @Test
  void aHugeFiniteTensorFrame_isAnsweredWithAnError_andTheStreamGoesOn() throws Exception {
    StreamCall call = StreamCall.open(server.asyncStub());
    call.send(ClassifyStreamRequest.newBuilder().setFrameId(0).addImages(tensorFilledWith(1e38f)).build());
    call.send(ClassifyStreamRequest.newBuilder().setFrameId(1).addImages(tensorFilledWith(0.5f)).build());
    call.halfClose();
    call.await(30);

    List<ClassifyStreamResponse> frames = call.frames();
    assertThat(frames).hasSize(2);
    assertThat(frames.get(0).getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_ERROR);
    assertThat(frames.get(0).getError()).startsWith("image 0: ").contains("not finite");
    assertThat(frames.get(1).getStatus()).isEqualTo(FrameStatus.FRAME_STATUS_OK);
  }

  @Test
  void rawSizesThatOverflow_areInvalidArgumentWithoutANegativeNumber() {
    long max = 4_294_967_295L;
    assertRawRefused(max, max, 3);
    // 4294920970 x 2863342415 x 3 wraps to exactly 2,724,418 in 64 bits.
    assertRawRefused(4_294_920_970L, 2_863_342_415L, 2_724_418);
    assertRawRefused(max, 1, 3);
  }

  @Test
  void moreImagesThanThePerRequestLimit_isInvalidArgument_notATransientRefusal() {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder();
    for (int i = 0; i < LIMITS.maxImagesPerRequest() + 1; i++) {
      request.addImages(tensorFilledWith(0f));
    }

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> server.blockingStub().classify(request.build()));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).contains("over the limit of 4 per request");
  }

  private static void assertRawRefused(long width, long height, int bytes) {
    Image raw = Image.newBuilder().setRaw(RawImage.newBuilder().setWidth((int) width).setHeight((int) height)
        .setPixels(ByteString.copyFrom(new byte[bytes]))).build();

    StatusRuntimeException refused = catchThrowableOfType(StatusRuntimeException.class,
        () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(raw).build()));

    assertThat(refused.getStatus().getCode()).as("%dx%d", width, height).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(refused.getStatus().getDescription()).as("%dx%d", width, height)
        .contains(Long.toString(width)).doesNotContainPattern("-\\d");
  }

  private static Image tensorFilledWith(float value) {
    int floats = model.input().elementCount();
    ByteBuffer bytes = ByteBuffer.allocate(floats * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      bytes.putFloat(value);
    }
    return Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(bytes.flip())))
        .build();
  }

  private static void assertInFlightReturnsToZero() throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    double inFlight;
    do {
      inFlight = new Scrape(metrics.scrape()).get("mobiserve_inflight_requests");
      if (inFlight == 0) {
        return;
      }
      Thread.sleep(10);
    } while (System.nanoTime() < giveUp);
    assertThat(inFlight).as("calls counted in flight after every call ended").isZero();
  }

  private static ClientCall<byte[], byte[]> rawCall(String method) {
    return server.channel().newCall(bytesMethod(method, MethodDescriptor.MethodType.UNARY),
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
  }

  private static ClientCall<byte[], byte[]> rawStreamCall() {
    return server.channel().newCall(
        bytesMethod(ClassifyServiceGrpc.getClassifyStreamMethod().getFullMethodName(),
            MethodDescriptor.MethodType.BIDI_STREAMING),
        CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
  }

  private static MethodDescriptor<byte[], byte[]> bytesMethod(String fullName, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(type)
        .setFullMethodName(fullName)
        .setRequestMarshaller(ByteMessages.MARSHALLER)
        .setResponseMarshaller(ByteMessages.MARSHALLER)
        .build();
  }

  /** Keeps the status a call closed with. */
  private static final class StatusRecorder extends ClientCall.Listener<byte[]> {
    private final java.util.concurrent.CompletableFuture<Status> status = new java.util.concurrent.CompletableFuture<>();

    @Override
    public void onClose(Status closed, Metadata trailers) {
      status.complete(closed);
    }

    Status await() throws Exception {
      return status.get(30, TimeUnit.SECONDS);
    }
  }
}
