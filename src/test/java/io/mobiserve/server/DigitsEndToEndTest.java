package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.Classification;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.ModelInputs;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.TestImages;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole path for real — Netty on a loopback port, OpenCV decoding, ONNX Runtime — on a MobileNetV3
 * trained on real data (scikit-learn's digits), with 200 held-out scans. Accuracy here is what proves
 * the preprocessing right, so the bar stays strict.
 */
class DigitsEndToEndTest {
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);

  private static RunningServer server;
  private static ModelSpec model;
  private static List<Sample> samples;

  @BeforeAll
  static void start() throws Exception {
    model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS);
    samples = DigitsFixture.heldOut();
    assertThat(samples).hasSize(200);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static Image encoded(byte[] bytes) {
    return Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(bytes))).build();
  }

  private static Image raw(BufferedImage image, boolean bgr) {
    return Image.newBuilder().setRaw(RawImage.newBuilder()
            .setPixels(ByteString.copyFrom(TestImages.pixels(image, bgr ? io.mobiserve.model.ChannelOrder.BGR : io.mobiserve.model.ChannelOrder.RGB)))
            .setWidth(image.getWidth())
            .setHeight(image.getHeight())
            .setChannelOrder(bgr ? ChannelOrder.CHANNEL_ORDER_BGR : ChannelOrder.CHANNEL_ORDER_RGB))
        .build();
  }

  private static Image tensor(byte[] png) {
    return Image.newBuilder()
        .setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(ModelInputs.tensorBytes(model, png))))
        .build();
  }

  /** Classifies every held-out sample, 25 per request, and returns each one's top-1 class. */
  private static int[] predict(Function<Sample, Image> encoding) {
    int[] predictions = new int[samples.size()];
    for (int first = 0; first < samples.size(); first += 25) {
      ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(1);
      for (int i = first; i < first + 25; i++) {
        request.addImages(encoding.apply(samples.get(i)).toBuilder().setId("sample-" + i));
      }
      ClassifyResponse response = server.blockingStub().classify(request.build());
      assertThat(response.getResultsCount()).isEqualTo(25);
      for (int i = 0; i < 25; i++) {
        Classification result = response.getResults(i);
        assertThat(result.getId()).isEqualTo("sample-" + (first + i));
        predictions[first + i] = result.getClasses(0).getIndex();
      }
    }
    return predictions;
  }

  private static double accuracy(int[] predictions) {
    int correct = 0;
    for (int i = 0; i < predictions.length; i++) {
      if (predictions[i] == samples.get(i).label()) {
        correct++;
      }
    }
    return correct / (double) predictions.length;
  }

  @Test
  void everyEncoding_classifiesHeldOutDigitsAtLeast95PercentRightWithIdenticalPredictions() {
    int[] png = predict(s -> encoded(s.bytes()));
    int[] jpeg = predict(s -> encoded(TestImages.jpeg(TestImages.decode(s.bytes()), 1.0f)));
    int[] rawRgb = predict(s -> raw(TestImages.decode(s.bytes()), false));
    int[] rawBgr = predict(s -> raw(TestImages.decode(s.bytes()), true));
    int[] tensor = predict(s -> tensor(s.bytes()));

    assertThat(accuracy(png)).as("PNG top-1").isGreaterThanOrEqualTo(0.95);
    assertThat(accuracy(jpeg)).as("JPEG top-1").isGreaterThanOrEqualTo(0.95);
    assertThat(accuracy(rawRgb)).as("raw RGB top-1").isGreaterThanOrEqualTo(0.95);
    assertThat(rawRgb).as("raw RGB vs PNG").containsExactly(png);
    assertThat(rawBgr).as("raw BGR vs PNG").containsExactly(png);
    assertThat(tensor).as("tensor vs PNG").containsExactly(png);
    assertThat(jpeg).as("JPEG vs PNG").containsExactly(png);
  }

  @Test
  void classify_returnsTopKWithLabelsProbabilitiesAndTimings() {
    ClassifyResponse response = server.blockingStub().classify(ClassifyRequest.newBuilder()
        .addImages(encoded(samples.get(0).bytes()).toBuilder().setId("first"))
        .setTopK(3)
        .build());

    Classification result = response.getResults(0);
    assertThat(result.getId()).isEqualTo("first");
    assertThat(result.getClassesList()).hasSize(3);
    assertThat(result.getClasses(0).getLabel()).isEqualTo(String.valueOf(result.getClasses(0).getIndex()));
    assertThat(result.getClasses(0).getProbability())
        .isGreaterThanOrEqualTo(result.getClasses(1).getProbability())
        .isLessThanOrEqualTo(1f);
    assertThat(result.getTimings().getPreprocessUs()).isPositive();
    assertThat(result.getTimings().getInferenceUs()).isPositive();
    assertThat(result.getTimings().getBatchSize()).isEqualTo(1);
  }

  @Test
  void truncatedJpeg_isRefusedNamingTheImageAndTheServerKeepsServing() {
    byte[] jpeg = TestImages.jpeg(TestImages.decode(samples.get(3).bytes()), 0.9f);
    ClassifyRequest bad = ClassifyRequest.newBuilder()
        .addImages(encoded(samples.get(0).bytes()))
        .addImages(encoded(TestImages.truncated(jpeg, jpeg.length / 2)))
        .build();

    Status status = catchThrowableOfType(() -> server.blockingStub().classify(bad), StatusRuntimeException.class)
        .getStatus();

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).startsWith("image 1: ").containsIgnoringCase("truncated");
    ClassifyResponse next = server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(encoded(jpeg)).build());
    assertThat(next.getResults(0).getClasses(0).getIndex()).isEqualTo(samples.get(3).label());
  }

  @Test
  void badImages_getInvalidArgumentNamingTheProblem() {
    ByteBuffer nan = ByteBuffer.allocate(model.input().elementCount() * 4).order(ByteOrder.LITTLE_ENDIAN);
    nan.putFloat(40, Float.NaN);
    Image nanTensor = Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(nan.array()))).build();
    Image shortTensor = Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(new byte[12]))).build();
    Image notAnImage = encoded("hello, this is not an image".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

    for (Image image : List.of(nanTensor, shortTensor, notAnImage)) {
      Status status = catchThrowableOfType(
          () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(image).build()),
          StatusRuntimeException.class).getStatus();
      assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).startsWith("image 0: ");
    }
  }

  @Test
  void hugePngHeader_isRefusedForItsPixelsBeforeDecoding() {
    byte[] header = pngHeader(30000, 30000);
    Status status = catchThrowableOfType(
        () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(encoded(header)).build()),
        StatusRuntimeException.class).getStatus();

    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("30000x30000").contains("pixels");
  }

  @Test
  void oversizedMessage_isRefusedAsResourceExhausted() {
    Image big = encoded(new byte[9 << 20]);
    Status status = catchThrowableOfType(
        () -> server.blockingStub().classify(ClassifyRequest.newBuilder().addImages(big).build()),
        StatusRuntimeException.class).getStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void getModelInfo_describesTheFixture() {
    ModelInfo info = server.blockingStub().getModelInfo(GetModelInfoRequest.getDefaultInstance());

    assertThat(info.getInputShapeList()).containsExactly(-1L, 3L, 64L, 64L);
    assertThat(info.getNumClasses()).isEqualTo(10);
    assertThat(info.getHasLabels()).isTrue();
    assertThat(info.getBackend()).isEqualTo("onnxruntime-cpu");
    assertThat(info.getPrecision()).isEqualTo("fp32");
    assertThat(info.getMaxBatch()).isEqualTo(16);
    assertThat(info.getTrained()).isTrue();
    assertThat(info.getPreprocessing().getResizeShortSide()).isEqualTo(72);
    assertThat(info.getLimits().getMaxImagesPerRequest()).isEqualTo(64);
  }

  @Test
  void health_isServingOnceTheModelIsWarm() {
    HealthCheckResponse response = HealthGrpc.newBlockingStub(server.channel())
        .check(HealthCheckRequest.newBuilder().setService("mobiserve.v1.ClassifyService").build());
    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void health_ofTheAcceleratedServiceIsNotServingOnTheCpu() {
    HealthCheckResponse response = HealthGrpc.newBlockingStub(server.channel())
        .check(HealthCheckRequest.newBuilder().setService(MobiserveServer.ACCELERATED_SERVICE_NAME).build());
    ModelInfo info = server.blockingStub().getModelInfo(GetModelInfoRequest.getDefaultInstance());

    assertThat(response.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.NOT_SERVING);
    assertThat(info.getDegraded()).isFalse();
    assertThat(info.getFallback()).isEmpty();
  }

  @Test
  void reflection_listsClassifyServiceAndHealth() throws Exception {
    CompletableFuture<List<String>> services = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(server.channel())
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse value) {
            services.complete(value.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName).toList());
          }

          @Override
          public void onError(Throwable t) {
            services.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    requests.onCompleted();

    assertThat(services.get(30, TimeUnit.SECONDS))
        .contains("mobiserve.v1.ClassifyService", "grpc.health.v1.Health");
  }

  @Test
  void expiredDeadline_isAnsweredDeadlineExceeded() {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder();
    for (int i = 0; i < 64; i++) {
      request.addImages(encoded(samples.get(i).bytes()));
    }
    Status status = catchThrowableOfType(
        () -> server.blockingStub().withDeadlineAfter(1, TimeUnit.MILLISECONDS).classify(request.build()),
        StatusRuntimeException.class).getStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void concurrentClients_eachGetTheirOwnResults() throws Exception {
    int clients = 16;
    int[] expected = new int[clients];
    for (int c = 0; c < clients; c++) {
      expected[c] = server.blockingStub().classify(ClassifyRequest.newBuilder()
          .addImages(encoded(samples.get(c * 7).bytes())).setTopK(1).build()).getResults(0).getClasses(0).getIndex();
    }
    CountDownLatch start = new CountDownLatch(1);
    java.util.concurrent.ExecutorService clientThreads = java.util.concurrent.Executors.newFixedThreadPool(clients);
    List<CompletableFuture<int[]>> answers = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      answers.add(CompletableFuture.supplyAsync(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        int[] got = new int[5];
        for (int round = 0; round < 5; round++) {
          got[round] = server.blockingStub().classify(ClassifyRequest.newBuilder()
              .addImages(encoded(samples.get(client * 7).bytes())).setTopK(1).build())
              .getResults(0).getClasses(0).getIndex();
        }
        return got;
      }, clientThreads));
    }
    start.countDown();

    try {
      for (int c = 0; c < clients; c++) {
        assertThat(answers.get(c).get(120, TimeUnit.SECONDS)).as("client " + c).containsOnly(expected[c]);
      }
    } finally {
      clientThreads.shutdownNow();
    }
  }

  /** A PNG signature and an IHDR chunk (with a correct CRC) declaring the size, and nothing else. */
  static byte[] pngHeader(int width, int height) {
    ByteBuffer png = ByteBuffer.allocate(8 + 25);
    png.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    png.putInt(13);
    int chunkStart = png.position();
    png.put(new byte[] {'I', 'H', 'D', 'R'}).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
        .put((byte) 0).put((byte) 0).put((byte) 0);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(png.array(), chunkStart, 17);
    png.putInt((int) crc.getValue());
    return png.array();
  }
}
