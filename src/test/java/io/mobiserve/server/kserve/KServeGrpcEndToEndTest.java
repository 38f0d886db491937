package io.mobiserve.server.kserve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.google.protobuf.ByteString;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.mobiserve.api.inference.DataType;
import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.inference.InferParameter;
import io.mobiserve.api.inference.InferTensorContents;
import io.mobiserve.api.inference.ModelConfig;
import io.mobiserve.api.inference.ModelConfigRequest;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelInferRequest.InferInputTensor;
import io.mobiserve.api.inference.ModelInferRequest.InferRequestedOutputTensor;
import io.mobiserve.api.inference.ModelInferResponse;
import io.mobiserve.api.inference.ModelInferResponse.InferOutputTensor;
import io.mobiserve.api.inference.ModelInput;
import io.mobiserve.api.inference.ModelMetadataRequest;
import io.mobiserve.api.inference.ModelMetadataResponse;
import io.mobiserve.api.inference.ModelReadyRequest;
import io.mobiserve.api.inference.ModelStatistics;
import io.mobiserve.api.inference.ModelStatisticsRequest;
import io.mobiserve.api.inference.ModelStreamInferResponse;
import io.mobiserve.api.inference.ServerLiveRequest;
import io.mobiserve.api.inference.ServerMetadataRequest;
import io.mobiserve.api.inference.ServerMetadataResponse;
import io.mobiserve.api.inference.ServerReadyRequest;
import io.mobiserve.api.v1.ClassScore;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.testing.ByteMessages;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.ModelInputs;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import io.mobiserve.testing.TestImages;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code inference.GRPCInferenceService} for real — Netty on a loopback port, OpenCV, ONNX Runtime — on the
 * digits model: every RPC, every input form, the classification extension, and the refusals.
 */
class KServeGrpcEndToEndTest {
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);
  private static final String MODEL = "digits-mobilenetv3-small";
  private static final String INPUT = "input";

  private static final PrometheusMetrics metrics = PrometheusMetrics.create();
  private static RunningServer server;
  private static ModelSpec model;
  private static List<Sample> samples;

  @BeforeAll
  static void start() throws Exception {
    model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().maxQueueDelay(Duration.ofMillis(1)).build(), LIMITS, metrics);
    samples = DigitsFixture.heldOut();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
    return server.inferenceStub();
  }

  // --- requests ---

  private static ModelInferRequest.Builder request() {
    return ModelInferRequest.newBuilder().setModelName(MODEL);
  }

  private static InferInputTensor.Builder fp32(int batch) {
    return InferInputTensor.newBuilder().setName(INPUT).setDatatype("FP32")
        .addShape(batch).addShape(3).addShape(64).addShape(64);
  }

  private static InferInputTensor.Builder bytes(int batch) {
    return InferInputTensor.newBuilder().setName(INPUT).setDatatype("BYTES").addShape(batch);
  }

  private static ModelInferRequest typedTensors(List<byte[]> encoded) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (byte[] image : encoded) {
      for (float v : ModelInputs.tensor(model, image)) {
        contents.addFp32Contents(v);
      }
    }
    return request().addInputs(fp32(encoded.size()).setContents(contents)).build();
  }

  private static ModelInferRequest rawTensors(List<byte[]> encoded) {
    ByteString.Output raw = ByteString.newOutput();
    for (byte[] image : encoded) {
      byte[] tensor = ModelInputs.tensorBytes(model, image);
      raw.write(tensor, 0, tensor.length);
    }
    return request().addInputs(fp32(encoded.size())).addRawInputContents(raw.toByteString()).build();
  }

  private static ModelInferRequest typedBytes(List<byte[]> encoded) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    encoded.forEach(image -> contents.addBytesContents(ByteString.copyFrom(image)));
    return request().addInputs(bytes(encoded.size()).setContents(contents)).build();
  }

  private static ModelInferRequest rawBytes(List<byte[]> encoded) {
    return request().addInputs(bytes(encoded.size()))
        .addRawInputContents(ByteString.copyFrom(RawBytes.join(encoded))).build();
  }

  private static InferRequestedOutputTensor classification(String output, long k) {
    return InferRequestedOutputTensor.newBuilder().setName(output)
        .putParameters(Parameters.CLASSIFICATION, InferParameter.newBuilder().setInt64Param(k).build()).build();
  }

  // --- responses ---

  private static InferOutputTensor output(ModelInferResponse response, String name) {
    return response.getOutputsList().stream().filter(o -> o.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no output " + name + " in " + response));
  }

  private static float[] rawFloats(ByteString raw) {
    float[] values = new float[raw.size() / 4];
    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  private static int argmax(float[] values, int from, int length) {
    int best = from;
    for (int i = from; i < from + length; i++) {
      if (values[i] > values[best]) {
        best = i;
      }
    }
    return best - from;
  }

  private static Status statusOf(ModelInferRequest request) {
    return catchThrowableOfType(() -> stub().modelInfer(request), StatusRuntimeException.class).getStatus();
  }

  /** Classify's top-1 for every held-out sample, PNG as it is. */
  private static int[] classifyTop1() {
    int[] top = new int[samples.size()];
    for (int first = 0; first < samples.size(); first += 25) {
      ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(1);
      for (int i = first; i < first + 25; i++) {
        request.addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder()
            .setData(ByteString.copyFrom(samples.get(i).bytes()))));
      }
      ClassifyResponse response = server.blockingStub().classify(request.build());
      for (int i = 0; i < 25; i++) {
        top[first + i] = response.getResults(i).getClasses(0).getIndex();
      }
    }
    return top;
  }

  /** ModelInfer's top-1 (argmax of the logits) for every held-out sample, 25 per request. */
  private static int[] inferTop1(Function<List<byte[]>, ModelInferRequest> encoding) {
    int[] top = new int[samples.size()];
    for (int first = 0; first < samples.size(); first += 25) {
      List<byte[]> batch = new ArrayList<>();
      for (int i = first; i < first + 25; i++) {
        batch.add(samples.get(i).bytes());
      }
      ModelInferRequest request = encoding.apply(batch).toBuilder()
          .addOutputs(InferRequestedOutputTensor.newBuilder().setName(KServeModel.LOGITS)).build();
      ModelInferResponse response = stub().modelInfer(request);
      InferOutputTensor logits = output(response, KServeModel.LOGITS);
      assertThat(logits.getShapeList()).containsExactly(25L, 10L);
      float[] values = request.getRawInputContentsCount() > 0
          ? rawFloats(response.getRawOutputContents(0))
          : toArray(logits.getContents().getFp32ContentsList());
      for (int i = 0; i < 25; i++) {
        top[first + i] = argmax(values, i * 10, 10);
      }
    }
    return top;
  }

  private static float[] toArray(List<Float> list) {
    float[] values = new float[list.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = list.get(i);
    }
    return values;
  }

  // --- health and metadata ---

  @Test
  void health_liveReadyAndModelReady() {
    assertThat(stub().serverLive(ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
    assertThat(stub().serverReady(ServerReadyRequest.getDefaultInstance()).getReady()).isTrue();
    assertThat(stub().modelReady(ModelReadyRequest.newBuilder().setName(MODEL).build()).getReady()).isTrue();
    assertThat(stub().modelReady(ModelReadyRequest.newBuilder().setName(MODEL).setVersion("1").build()).getReady())
        .isTrue();
  }

  @Test
  void unknownModelOrVersion_isNotFoundForEveryModelCall() {
    for (ModelReadyRequest bad : List.of(ModelReadyRequest.newBuilder().setName("resnet50").build(),
        ModelReadyRequest.newBuilder().setName(MODEL).setVersion("2").build())) {
      Status ready = catchThrowableOfType(() -> stub().modelReady(bad), StatusRuntimeException.class).getStatus();
      Status metadata = catchThrowableOfType(() -> stub().modelMetadata(ModelMetadataRequest.newBuilder()
          .setName(bad.getName()).setVersion(bad.getVersion()).build()), StatusRuntimeException.class).getStatus();
      Status config = catchThrowableOfType(() -> stub().modelConfig(ModelConfigRequest.newBuilder()
          .setName(bad.getName()).setVersion(bad.getVersion()).build()), StatusRuntimeException.class).getStatus();
      Status infer = statusOf(typedBytes(List.of(samples.get(0).bytes())).toBuilder()
          .setModelName(bad.getName()).setModelVersion(bad.getVersion()).build());
      for (Status status : List.of(ready, metadata, config, infer)) {
        assertThat(status.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(status.getDescription()).contains(bad.getVersion().isEmpty() ? "'resnet50'" : "version '2'");
      }
    }
  }

  @Test
  void serverMetadata_namesTheServerAndItsExtensions() {
    ServerMetadataResponse metadata = stub().serverMetadata(ServerMetadataRequest.getDefaultInstance());
    assertThat(metadata.getName()).isEqualTo("mobiserve");
    assertThat(metadata.getVersion()).isNotEmpty();
    assertThat(metadata.getExtensionsList()).contains("classification", "model_configuration", "statistics");
  }

  @Test
  void modelMetadata_describesOneImageInputAndTwoOutputs() {
    ModelMetadataResponse metadata = stub().modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
    assertThat(metadata.getName()).isEqualTo(MODEL);
    assertThat(metadata.getVersionsList()).containsExactly("1");
    assertThat(metadata.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(metadata.getInputsList()).singleElement().satisfies(input -> {
      assertThat(input.getName()).isEqualTo(INPUT);
      assertThat(input.getDatatype()).isEqualTo("FP32");
      assertThat(input.getShapeList()).containsExactly(-1L, 3L, 64L, 64L);
    });
    assertThat(metadata.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getName)
        .containsExactly("logits", "probabilities");
    for (ModelMetadataResponse.TensorMetadata output : metadata.getOutputsList()) {
      assertThat(output.getDatatype()).isEqualTo("FP32");
      assertThat(output.getShapeList()).containsExactly(-1L, 10L);
    }
  }

  @Test
  void modelConfig_givesTheBatchSizeAndTheTensorsATritonClientReads() {
    ModelConfig config = stub().modelConfig(ModelConfigRequest.newBuilder().setName(MODEL).setVersion("1").build())
        .getConfig();
    assertThat(config.getName()).isEqualTo(MODEL);
    assertThat(config.getPlatform()).isEqualTo("onnxruntime_onnx");
    assertThat(config.getBackend()).isEqualTo("onnxruntime");
    assertThat(config.getMaxBatchSize()).isEqualTo(64);
    assertThat(config.getInputList()).singleElement().satisfies(input -> {
      assertThat(input.getName()).isEqualTo(INPUT);
      assertThat(input.getDataType()).isEqualTo(DataType.TYPE_FP32);
      assertThat(input.getFormat()).isEqualTo(ModelInput.Format.FORMAT_NCHW);
      assertThat(input.getDimsList()).containsExactly(3L, 64L, 64L);
    });
    assertThat(config.getOutputList()).hasSize(2).allSatisfy(output -> {
      assertThat(output.getDataType()).isEqualTo(DataType.TYPE_FP32);
      assertThat(output.getDimsList()).containsExactly(10L);
      assertThat(output.getLabelFilename()).isNotEmpty();
    });
    assertThat(config.getDynamicBatching().getMaxQueueDelayMicroseconds()).isEqualTo(1000);
  }

  // --- inference ---

  @Test
  void everyInputForm_givesClassifysTop1ForEveryHeldOutDigit() {
    int[] classify = classifyTop1();
    assertThat(inferTop1(KServeGrpcEndToEndTest::typedTensors)).as("FP32 fp32_contents").containsExactly(classify);
    assertThat(inferTop1(KServeGrpcEndToEndTest::rawTensors)).as("FP32 raw").containsExactly(classify);
    assertThat(inferTop1(KServeGrpcEndToEndTest::typedBytes)).as("BYTES bytes_contents").containsExactly(classify);
    assertThat(inferTop1(KServeGrpcEndToEndTest::rawBytes)).as("BYTES raw").containsExactly(classify);
  }

  @Test
  void classificationOfProbabilities_forAJpeg_isClassifysTop5() {
    byte[] jpeg = TestImages.jpeg(TestImages.decode(samples.get(7).bytes()), 0.9f);
    List<ClassScore> expected = server.blockingStub().classify(ClassifyRequest.newBuilder().setTopK(5)
        .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(jpeg))))
        .build()).getResults(0).getClassesList();

    ModelInferResponse response = stub().modelInfer(typedBytes(List.of(jpeg)).toBuilder().setId("jpeg-1")
        .addOutputs(classification(KServeModel.PROBABILITIES, 5)).build());

    assertThat(response.getId()).isEqualTo("jpeg-1");
    assertThat(response.getModelName()).isEqualTo(MODEL);
    assertThat(response.getModelVersion()).isEqualTo("1");
    InferOutputTensor classes = output(response, KServeModel.PROBABILITIES);
    assertThat(classes.getDatatype()).isEqualTo("BYTES");
    assertThat(classes.getShapeList()).containsExactly(1L, 5L);
    assertThat(classes.getContents().getBytesContentsCount()).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      String[] parts = classes.getContents().getBytesContents(i).toStringUtf8().split(":");
      assertThat(parts).hasSize(3);
      assertThat(parts[0]).matches("\\d\\.\\d{6}");
      assertThat(Integer.parseInt(parts[1])).isEqualTo(expected.get(i).getIndex());
      assertThat(Float.parseFloat(parts[0])).isCloseTo(expected.get(i).getProbability(), within(1e-5f));
      assertThat(parts[2]).isEqualTo(expected.get(i).getLabel());
    }
  }

  @Test
  void tensorOutputs_areLogitsAndTheirSoftmax_inTheOrderAsked() {
    byte[] png = samples.get(3).bytes();
    ModelInferResponse response = stub().modelInfer(rawBytes(List.of(png, png)).toBuilder()
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName(KServeModel.PROBABILITIES))
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName(KServeModel.LOGITS)).build());

    assertThat(response.getOutputsList()).extracting(InferOutputTensor::getName)
        .containsExactly("probabilities", "logits");
    assertThat(response.getRawOutputContentsCount()).isEqualTo(2);
    assertThat(response.getOutputs(0).hasContents()).isFalse();
    float[] probabilities = rawFloats(response.getRawOutputContents(0));
    float[] logits = rawFloats(response.getRawOutputContents(1));
    assertThat(probabilities).hasSize(20);
    float[] expected = io.mobiserve.preprocess.Softmax.probabilities(java.util.Arrays.copyOf(logits, 10));
    assertThat(java.util.Arrays.copyOf(probabilities, 10)).containsExactly(expected, within(1e-7f));
    double sum = 0;
    for (int i = 0; i < 10; i++) {
      sum += probabilities[i];
    }
    assertThat(sum).isCloseTo(1.0, within(1e-5));
    assertThat(argmax(logits, 0, 10)).isEqualTo(samples.get(3).label());
  }

  @Test
  void noOutputsRequested_returnsBothTensorsTyped() {
    ModelInferResponse response = stub().modelInfer(typedBytes(List.of(samples.get(0).bytes())));
    assertThat(response.getOutputsList()).extracting(InferOutputTensor::getName).containsExactly("logits", "probabilities");
    assertThat(response.getRawOutputContentsCount()).isZero();
    assertThat(response.getOutputs(1).getContents().getFp32ContentsCount()).isEqualTo(10);
  }

  @Test
  void classificationOfLogits_inRawOutput_isLengthPrefixedStringsOfTheLogits() throws Exception {
    ModelInferResponse response = stub().modelInfer(rawTensors(List.of(samples.get(1).bytes())).toBuilder()
        .addOutputs(classification(KServeModel.LOGITS, 3))
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName(KServeModel.PROBABILITIES))
        .build());
    List<ByteBuffer> strings = RawBytes.split(response.getRawOutputContents(0).asReadOnlyByteBuffer(), 3, "test");
    String first = StandardCharsets.UTF_8.decode(strings.get(0)).toString();
    assertThat(first).matches("-?\\d+\\.\\d{6}:" + samples.get(1).label() + ":" + samples.get(1).label());
    assertThat(output(response, KServeModel.LOGITS).getShapeList()).containsExactly(1L, 3L);
  }

  @Test
  void streamInfer_answersEachRequestInOrder_andABadOneWithItsErrorWithoutEndingTheStream() throws Exception {
    List<ModelInferRequest> requests = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      byte[] image = i == 2 ? "not an image".getBytes(StandardCharsets.US_ASCII) : samples.get(i).bytes();
      requests.add(typedBytes(List.of(image)).toBuilder().setId("frame-" + i)
          .addOutputs(classification(KServeModel.PROBABILITIES, 1)).build());
    }
    List<ModelStreamInferResponse> answers = StreamInferCall.run(server.channel(), requests);

    assertThat(answers).hasSize(5);
    for (int i = 0; i < 5; i++) {
      ModelStreamInferResponse answer = answers.get(i);
      if (i == 2) {
        assertThat(answer.getErrorMessage()).startsWith("INVALID_ARGUMENT: input 'input': image 0: ");
        assertThat(answer.hasInferResponse()).isFalse();
      } else {
        assertThat(answer.getErrorMessage()).isEmpty();
        assertThat(answer.getInferResponse().getId()).isEqualTo("frame-" + i);
        String top = answer.getInferResponse().getOutputs(0).getContents().getBytesContents(0).toStringUtf8();
        assertThat(top.split(":")[1]).isEqualTo(String.valueOf(samples.get(i).label()));
      }
    }
  }

  @Test
  void modelStatistics_countTheInferenceDoneAsMetricsDo() {
    stub().modelInfer(typedBytes(List.of(samples.get(0).bytes(), samples.get(1).bytes())));
    statusOf(typedBytes(List.of(new byte[] {1, 2, 3})));

    ModelStatistics stats = stub().modelStatistics(ModelStatisticsRequest.newBuilder().setName(MODEL).build())
        .getModelStats(0);
    Scrape scrape = new Scrape(metrics.scrape());

    assertThat(stats.getName()).isEqualTo(MODEL);
    assertThat(stats.getVersion()).isEqualTo("1");
    assertThat(stats.getInferenceCount()).isEqualTo((long) scrape.get("mobiserve_images_total", "backend", "onnxruntime-cpu"));
    assertThat(stats.getExecutionCount()).isPositive();
    assertThat(stats.getInferenceStats().getSuccess().getCount()).isPositive();
    assertThat(stats.getInferenceStats().getSuccess().getNs()).isPositive();
    assertThat(stats.getInferenceStats().getFail().getCount()).isPositive();
    assertThat(stats.getInferenceStats().getQueue().getCount()).isGreaterThanOrEqualTo(stats.getInferenceCount());
    assertThat(stats.getInferenceStats().getComputeInfer().getCount()).isEqualTo(stats.getExecutionCount());
    assertThat(stats.getLastInference()).isCloseTo(System.currentTimeMillis(), within(120_000L));
    assertThat(scrape.get("mobiserve_requests_total", "method", "inference.GRPCInferenceService/ModelInfer",
        "code", "OK")).isPositive();
    assertThat(stub().modelStatistics(ModelStatisticsRequest.getDefaultInstance()).getModelStats(0).getName())
        .isEqualTo(MODEL);
  }

  @Test
  void rpcsNotServed_areUnimplemented() {
    MethodDescriptor<byte[], byte[]> repositoryIndex = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("inference.GRPCInferenceService/RepositoryIndex")
        .setRequestMarshaller(ByteMessages.MARSHALLER)
        .setResponseMarshaller(ByteMessages.MARSHALLER)
        .build();
    ClientCall<byte[], byte[]> call = server.channel().newCall(repositoryIndex,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS));
    Status status = catchThrowableOfType(() -> ClientCalls.blockingUnaryCall(call, new byte[0]),
        StatusRuntimeException.class).getStatus();
    assertThat(status.getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
  }

  // --- refusals ---

  @Test
  void badRequests_areInvalidArgumentNamingTheTensorAndTheProblem() {
    byte[] png = samples.get(0).bytes();
    byte[] tensor = ModelInputs.tensorBytes(model, png);
    ByteBuffer nan = ByteBuffer.wrap(tensor.clone()).order(ByteOrder.LITTLE_ENDIAN);
    nan.putFloat(8, Float.NaN);
    byte[] jpeg = TestImages.jpeg(TestImages.decode(png), 0.9f);
    List<Object[]> cases = List.of(
        new Object[] {request().build(), "the request has no inputs"},
        new Object[] {request().addInputs(bytes(1).setName("image").setContents(InferTensorContents.newBuilder()
            .addBytesContents(ByteString.copyFrom(png)))).build(), "unknown input 'image'"},
        new Object[] {request().addInputs(fp32(1).setDatatype("INT32")).build(), "input 'input': datatype 'INT32' is not accepted"},
        new Object[] {request().addInputs(fp32(1).clearShape().addShape(1).addShape(3).addShape(32).addShape(32))
            .addRawInputContents(ByteString.copyFrom(tensor)).build(), "input 'input': shape [1,3,32,32] does not match the model's [-1,3,64,64]"},
        new Object[] {request().addInputs(fp32(1)).addRawInputContents(ByteString.copyFrom(tensor, 0, 100)).build(),
            "input 'input': raw_input_contents holds 100 bytes; FP32 [1,3,64,64] needs 49152"},
        new Object[] {request().addInputs(fp32(1).setContents(InferTensorContents.newBuilder().addFp32Contents(1f))).build(),
            "input 'input': fp32_contents holds 1 values; FP32 [1,3,64,64] needs 12288"},
        new Object[] {request().addInputs(fp32(1).setContents(InferTensorContents.newBuilder().addIntContents(1))).build(),
            "another contents field is set"},
        new Object[] {request().addInputs(fp32(1)).addRawInputContents(ByteString.copyFrom(nan.array())).build(),
            "input 'input': image 0: tensor value at index 2 is NaN"},
        new Object[] {typedBytes(List.of(png, TestImages.truncated(jpeg, jpeg.length / 2))), "input 'input': image 1: "},
        new Object[] {request().addInputs(bytes(2).setContents(InferTensorContents.newBuilder()
            .addBytesContents(ByteString.copyFrom(png)))).build(), "bytes_contents holds 1 elements; BYTES [2] needs 2"},
        new Object[] {request().addInputs(bytes(1)).addRawInputContents(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 1}))
            .build(), "element 0 says it is 9 bytes, but only 1 follow"},
        new Object[] {request().addInputs(bytes(1).clearShape().addShape(1).addShape(2)).build(), "BYTES shape [1,2] is not accepted"},
        new Object[] {typedBytes(List.of(png)).toBuilder().addOutputs(InferRequestedOutputTensor.newBuilder()
            .setName("softmax")).build(), "unknown output 'softmax'"},
        new Object[] {typedBytes(List.of(png)).toBuilder().addOutputs(classification("logits", 11)).build(),
            "output 'logits': parameter 'classification' must be from 1 to the model's 10 classes, not 11"},
        new Object[] {typedBytes(List.of(png)).toBuilder().addOutputs(InferRequestedOutputTensor.newBuilder()
            .setName("logits").putParameters("classification", InferParameter.newBuilder().setStringParam("3").build()))
            .build(), "output 'logits': parameter 'classification' must be an int64_param, not string_param"},
        new Object[] {request().addInputs(bytes(1).putParameters("shared_memory_region",
            InferParameter.newBuilder().setStringParam("r").build())).build(), "shared memory is not supported"});

    for (Object[] c : cases) {
      Status status = statusOf((ModelInferRequest) c[0]);
      assertThat(status.getCode()).as((String) c[1]).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription()).contains((String) c[1]);
    }
    // and the server keeps serving
    assertThat(stub().modelInfer(typedBytes(List.of(png))).getOutputsCount()).isEqualTo(2);
  }

  @Test
  void aBatchOverTheRequestLimit_isInvalidArgument_sinceRetryingCannotHelp() {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 65; i++) {
      images.add(new byte[] {1});
    }
    Status status = statusOf(typedBytes(images));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("65 images is over the limit of 64");
  }

  @Test
  void theTimeoutParameter_orTheCallDeadline_endsWithDeadlineExceeded() {
    List<byte[]> images = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      images.add(samples.get(i).bytes());
    }
    ModelInferRequest request = typedBytes(images).toBuilder()
        .putParameters("timeout", InferParameter.newBuilder().setInt64Param(1).build()).build();
    assertThat(statusOf(request).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    Status byDeadline = catchThrowableOfType(() -> stub().withDeadlineAfter(1, TimeUnit.MILLISECONDS)
        .modelInfer(typedBytes(images)), StatusRuntimeException.class).getStatus();
    assertThat(byDeadline.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }
}
