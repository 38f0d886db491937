package io.mobiserve.server.kserve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.inference.DataType;
import io.mobiserve.api.inference.GRPCInferenceServiceGrpc;
import io.mobiserve.api.inference.InferParameter;
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
import io.mobiserve.api.inference.ModelStreamInferResponse;
import io.mobiserve.api.v1.ClassScore;
import io.mobiserve.api.v1.ClassifyRequest;
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
import io.mobiserve.server.http.KServeHttpServer;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.ModelInputs;
import io.mobiserve.testing.RunningServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code serve --kserve-outputs probabilities}, as Triton's image-classification client (image_client.py) sees it
 * over gRPC and over HTTP — Netty and Jetty on loopback ports, the digits model on ONNX Runtime. The client
 * takes a model only if its metadata has exactly one input and one output, its configuration one input; the
 * output is FP32 and a vector once the batch dimension is left out (max_batch_size > 0); the input's metadata
 * shape has 3 dimensions and the batch one; the configuration's input format is FORMAT_NCHW or FORMAT_NHWC
 * (a string in HTTP's JSON). It then reads the input's name, datatype and c, h, w, sends FP32 tensors it
 * preprocessed itself (gRPC raw_input_contents; HTTP's binary tensor extension), asks for the output's top
 * classes with the classification parameter, and splits each "value:index:label" string at its colons.
 * Each test checks one side of that against the server, the way the client would.
 */
class KServeTritonImageClientEndToEndTest {
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);
  private static final String MODEL = "digits-mobilenetv3-small";
  private static final String OUTPUT = KServeModel.PROBABILITIES;

  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static RunningServer server;
  private static KServeHttpServer http;
  private static ModelSpec model;
  private static List<Sample> samples;

  @BeforeAll
  static void start() throws Exception {
    model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    PrometheusMetrics metrics = PrometheusMetrics.create();
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS, metrics, endpoint -> endpoint.withKServeOutputs(List.of(OUTPUT)));
    http = KServeHttpServer.start("127.0.0.1", 0, LIMITS, metrics);
    http.serve(server.endpoint());
    samples = DigitsFixture.heldOut();
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    server.close();
  }

  // --- what the client reads of the model, whatever the protocol ---

  /** A tensor of the model's metadata, as the client reads it. */
  private record Tensor(String name, String datatype, List<Long> shape) {}

  /**
   * What the client takes from the model once every check passed: the batch size, the input's name, format,
   * datatype and c × h × w, the output's name.
   */
  private record Parsed(int maxBatchSize, String input, String output, long c, long h, long w,
      ModelInput.Format format, String datatype) {}

  /**
   * The client's checks, from its published behaviour, on the metadata's inputs and outputs, the configuration's
   * max_batch_size and its inputs' formats. Fails the test where the client would refuse the model.
   */
  private static Parsed asTheClientParses(List<Tensor> inputs, List<Tensor> outputs, int maxBatchSize,
      List<ModelInput.Format> configInputFormats) {
    assertThat(inputs).as("the metadata's inputs (the client expects exactly 1)").hasSize(1);
    assertThat(outputs).as("the metadata's outputs (the client expects exactly 1)").hasSize(1);
    assertThat(configInputFormats).as("the configuration's inputs (the client expects exactly 1)").hasSize(1);
    Tensor input = inputs.get(0);
    Tensor output = outputs.get(0);
    assertThat(output.datatype()).as("the output's datatype").isEqualTo("FP32");

    boolean batched = maxBatchSize > 0;
    List<Long> outputDims = batched ? output.shape().subList(1, output.shape().size()) : output.shape();
    assertThat(outputDims.stream().filter(d -> d > 1).count()).as("dimensions over 1 of the output " + outputDims
        + " (a vector once the batch dimension is left out)").isLessThanOrEqualTo(1);

    assertThat(input.shape()).as("the input's metadata shape: 3 dimensions, and the batch one when max_batch_size > 0")
        .hasSize(3 + (batched ? 1 : 0));
    ModelInput.Format format = configInputFormats.get(0);
    assertThat(format).as("the configuration's input format").isIn(ModelInput.Format.FORMAT_NCHW,
        ModelInput.Format.FORMAT_NHWC);
    int first = batched ? 1 : 0;
    List<Long> s = input.shape();
    return format == ModelInput.Format.FORMAT_NHWC
        ? new Parsed(maxBatchSize, input.name(), output.name(), s.get(first + 2), s.get(first), s.get(first + 1),
            format, input.datatype())
        : new Parsed(maxBatchSize, input.name(), output.name(), s.get(first), s.get(first + 1), s.get(first + 2),
            format, input.datatype());
  }

  private static final Parsed EXPECTED =
      new Parsed(64, "input", OUTPUT, 3, 64, 64, ModelInput.Format.FORMAT_NCHW, "FP32");

  /** One image's classes as the client prints them: the string split at its colons into value, index, label. */
  private static void assertClassifysTop(List<String> strings, byte[] png, int k) {
    List<ClassScore> expected = server.blockingStub().classify(ClassifyRequest.newBuilder().setTopK(k)
        .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(png))))
        .build()).getResults(0).getClassesList();
    assertThat(strings).hasSize(k);
    for (int i = 0; i < k; i++) {
      String[] cls = strings.get(i).split(":");
      assertThat(cls).as(strings.get(i) + ": value, index and label").hasSize(3);
      assertThat(Float.parseFloat(cls[0])).isCloseTo(expected.get(i).getProbability(), within(1e-5f));
      assertThat(Integer.parseInt(cls[1])).isEqualTo(expected.get(i).getIndex());
      assertThat(cls[2]).isEqualTo(expected.get(i).getLabel()).isNotEmpty();
    }
  }

  /** The images the client sends: FP32 CHW tensors, batch first, little-endian, as numpy lays them out. */
  private static byte[] batchOfTensors(List<Sample> batch) {
    ByteBuffer bytes = ByteBuffer.allocate(batch.size() * model.input().elementCount() * Float.BYTES);
    for (Sample sample : batch) {
      bytes.put(ModelInputs.tensorBytes(model, sample.bytes()));
    }
    return bytes.array();
  }

  /** Triton's serialized BYTES tensor, decoded as the client decodes it: each element a 4-byte little-endian length and its bytes. */
  private static List<String> bytesTensor(ByteBuffer raw) {
    ByteBuffer data = raw.slice().order(ByteOrder.LITTLE_ENDIAN);
    List<String> elements = new ArrayList<>();
    while (data.hasRemaining()) {
      byte[] element = new byte[data.getInt()];
      data.get(element);
      elements.add(new String(element, StandardCharsets.UTF_8));
    }
    return elements;
  }

  // --- gRPC ---

  private static GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub() {
    return server.inferenceStub();
  }

  private static List<Tensor> tensors(List<ModelMetadataResponse.TensorMetadata> metadata) {
    return metadata.stream().map(t -> new Tensor(t.getName(), t.getDatatype(), t.getShapeList())).toList();
  }

  @Test
  void grpc_metadataAndConfig_passEveryCheckOfTheImageClient() {
    ModelMetadataResponse metadata = stub().modelMetadata(ModelMetadataRequest.newBuilder().setName(MODEL).build());
    ModelConfig config = stub().modelConfig(ModelConfigRequest.newBuilder().setName(MODEL).build()).getConfig();

    Parsed parsed = asTheClientParses(tensors(metadata.getInputsList()), tensors(metadata.getOutputsList()),
        config.getMaxBatchSize(), config.getInputList().stream().map(ModelInput::getFormat).toList());

    assertThat(parsed).isEqualTo(EXPECTED);
    assertThat(metadata.getOutputs(0).getShapeList()).containsExactly(-1L, 10L);
    assertThat(config.getInput(0).getName()).isEqualTo(parsed.input());
    assertThat(config.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
    assertThat(config.getInput(0).getDimsList()).containsExactly(parsed.c(), parsed.h(), parsed.w());
    assertThat(config.getOutputList()).as("the configuration presents the same one output").singleElement()
        .satisfies(output -> {
          assertThat(output.getName()).isEqualTo(OUTPUT);
          assertThat(output.getDataType()).isEqualTo(DataType.TYPE_FP32);
          assertThat(output.getDimsList()).containsExactly(10L);
          assertThat(output.getLabelFilename()).as("the classes have names").isNotEmpty();
        });
  }

  /** ModelInfer as the client sends it: FP32 [N, c, h, w] in raw_input_contents, the output's top k classes. */
  private static ModelInferRequest clientRequest(List<Sample> batch, int classCount) {
    return ModelInferRequest.newBuilder().setModelName(MODEL)
        .addInputs(InferInputTensor.newBuilder().setName(EXPECTED.input()).setDatatype(EXPECTED.datatype())
            .addShape(batch.size()).addShape(EXPECTED.c()).addShape(EXPECTED.h()).addShape(EXPECTED.w()))
        .addRawInputContents(ByteString.copyFrom(batchOfTensors(batch)))
        .addOutputs(InferRequestedOutputTensor.newBuilder().setName(EXPECTED.output())
            .putParameters("classification", InferParameter.newBuilder().setInt64Param(classCount).build()))
        .build();
  }

  /** The classes of each image, read from the response as the client reads it (raw_output_contents, BYTES [N, k]). */
  private static List<List<String>> classes(ModelInferResponse response, int batch, int k) {
    assertThat(response.getOutputsList()).singleElement().satisfies(output -> {
      assertThat(output.getName()).isEqualTo(OUTPUT);
      assertThat(output.getDatatype()).isEqualTo("BYTES");
      assertThat(output.getShapeList()).containsExactly((long) batch, (long) k);
    });
    List<String> strings = bytesTensor(response.getRawOutputContents(0).asReadOnlyByteBuffer());
    assertThat(strings).hasSize(batch * k);
    List<List<String>> images = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      images.add(strings.subList(i * k, (i + 1) * k));
    }
    return images;
  }

  @Test
  void grpc_aClassificationRequestLikeTheClients_givesClassifysTopClasses() {
    for (List<Sample> batch : List.of(samples.subList(0, 1), samples.subList(10, 14))) {
      ModelInferResponse response = stub().modelInfer(clientRequest(batch, 3));

      List<List<String>> classes = classes(response, batch.size(), 3);
      for (int i = 0; i < batch.size(); i++) {
        assertClassifysTop(classes.get(i), batch.get(i).bytes(), 3);
      }
    }
  }

  @Test
  void grpc_theClientsStreamingRequest_givesClassifysTopClasses() throws Exception {
    List<ModelStreamInferResponse> answers =
        StreamInferCall.run(server.channel(), List.of(clientRequest(samples.subList(20, 22), 2)));

    assertThat(answers).singleElement().satisfies(answer -> assertThat(answer.getErrorMessage()).isEmpty());
    List<List<String>> classes = classes(answers.get(0).getInferResponse(), 2, 2);
    assertClassifysTop(classes.get(0), samples.get(20).bytes(), 2);
    assertClassifysTop(classes.get(1), samples.get(21).bytes(), 2);
  }

  @Test
  void grpc_theOutputLeftOut_isAsUnknownAsAnyOtherName_andNoOutputsAskedGivesTheOneShown() {
    ModelInferRequest request = clientRequest(samples.subList(0, 1), 1);
    for (String name : List.of(KServeModel.LOGITS, "softmax")) {
      ModelInferRequest asking = request.toBuilder().clearOutputs()
          .addOutputs(InferRequestedOutputTensor.newBuilder().setName(name)).build();
      Status status = catchThrowableOfType(() -> stub().modelInfer(asking), StatusRuntimeException.class).getStatus();
      assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(status.getDescription())
          .isEqualTo("unknown output '" + name + "'; the model's only output is '" + OUTPUT + "'");
    }

    ModelInferResponse all = stub().modelInfer(request.toBuilder().clearOutputs().build());
    assertThat(all.getOutputsList()).extracting(InferOutputTensor::getName).containsExactly(OUTPUT);
    assertThat(all.getOutputs(0).getShapeList()).containsExactly(1L, 10L);
  }

  @Test
  void classify_isNotAffected() {
    assertThat(server.blockingStub().classify(DigitsFixture.topOneRequest(samples.subList(0, 4))).getResultsCount())
        .isEqualTo(4);
  }

  // --- HTTP ---

  private record Reply(int status, byte[] body, String headerLength) {
    JsonObject json() {
      int length = headerLength == null ? body.length : Integer.parseInt(headerLength);
      return JsonParser.parseString(new String(body, 0, length, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    ByteBuffer binary() {
      int length = Integer.parseInt(headerLength);
      return ByteBuffer.wrap(body, length, body.length - length).slice();
    }
  }

  private static Reply send(HttpRequest.Builder request) throws Exception {
    HttpResponse<byte[]> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    return new Reply(response.statusCode(), response.body(),
        response.headers().firstValue("Inference-Header-Content-Length").orElse(null));
  }

  private static HttpRequest.Builder at(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
  }

  /** A JSON object's member, which the client reads as an attribute: absent, it would fail. */
  private static JsonElement member(JsonObject json, String name) {
    assertThat(json.has(name)).as(json + " has '" + name + "'").isTrue();
    return json.get(name);
  }

  private static List<Tensor> tensors(JsonArray metadata) {
    List<Tensor> tensors = new ArrayList<>();
    for (JsonElement element : metadata) {
      JsonObject tensor = element.getAsJsonObject();
      List<Long> shape = new ArrayList<>();
      member(tensor, "shape").getAsJsonArray().forEach(d -> shape.add(d.getAsLong()));
      tensors.add(new Tensor(member(tensor, "name").getAsString(), member(tensor, "datatype").getAsString(), shape));
    }
    return tensors;
  }

  @Test
  void http_metadataAndConfig_passEveryCheckOfTheImageClient() throws Exception {
    Reply metadataReply = send(at("/v2/models/" + MODEL).GET());
    Reply configReply = send(at("/v2/models/" + MODEL + "/config").GET());
    assertThat(metadataReply.status()).isEqualTo(200);
    assertThat(configReply.status()).isEqualTo(200);
    JsonObject metadata = metadataReply.json();
    JsonObject config = configReply.json();

    List<ModelInput.Format> formats = new ArrayList<>();
    for (JsonElement input : member(config, "input").getAsJsonArray()) {
      // The client maps the format's name (HTTP's JSON gives a string) to the enum: an unknown name fails.
      formats.add(ModelInput.Format.valueOf(member(input.getAsJsonObject(), "format").getAsString()));
    }
    Parsed parsed = asTheClientParses(tensors(member(metadata, "inputs").getAsJsonArray()),
        tensors(member(metadata, "outputs").getAsJsonArray()), member(config, "max_batch_size").getAsInt(), formats);

    assertThat(parsed).isEqualTo(EXPECTED);
    assertThat(metadata).isEqualTo(JsonParser.parseString("""
        {"name": "digits-mobilenetv3-small", "versions": ["1"], "platform": "onnxruntime_onnx",
         "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 64, 64]}],
         "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]}"""));
    JsonObject input = config.getAsJsonArray("input").get(0).getAsJsonObject();
    assertThat(input.get("format").getAsString()).isEqualTo("FORMAT_NCHW");
    assertThat(input.get("dims").toString()).isEqualTo("[3,64,64]");
    assertThat(input.get("data_type").getAsString()).isEqualTo("TYPE_FP32");
    JsonArray outputs = config.getAsJsonArray("output");
    assertThat(outputs).hasSize(1);
    assertThat(outputs.get(0).getAsJsonObject().get("name").getAsString()).isEqualTo(OUTPUT);
    assertThat(outputs.get(0).getAsJsonObject().get("dims").toString()).isEqualTo("[10]");
  }

  /** infer as the client posts it: the JSON header, then the FP32 tensors as binary data; the classes as binary data. */
  private static Reply postLikeTheClient(String json, byte[] binary) throws Exception {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[header.length + binary.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(binary, 0, body, header.length, binary.length);
    return send(at("/v2/models/" + MODEL + "/infer")
        .header("Inference-Header-Content-Length", Integer.toString(header.length))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private static String clientJson(int batch, int tensorBytes, String output, int classCount) {
    return "{\"inputs\": [{\"name\": \"input\", \"shape\": [" + batch + ", 3, 64, 64], \"datatype\": \"FP32\","
        + " \"parameters\": {\"binary_data_size\": " + tensorBytes + "}}], \"outputs\": [{\"name\": \"" + output
        + "\", \"parameters\": {\"binary_data\": true, \"classification\": " + classCount + "}}]}";
  }

  @Test
  void http_aClassificationRequestLikeTheClients_givesClassifysTopClasses() throws Exception {
    for (List<Sample> batch : List.of(samples.subList(30, 31), samples.subList(40, 43))) {
      byte[] tensors = batchOfTensors(batch);
      Reply reply = postLikeTheClient(clientJson(batch.size(), tensors.length, OUTPUT, 3), tensors);

      assertThat(reply.status()).as(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      JsonArray outputs = reply.json().getAsJsonArray("outputs");
      assertThat(outputs).hasSize(1);
      JsonObject output = outputs.get(0).getAsJsonObject();
      assertThat(output.get("name").getAsString()).isEqualTo(OUTPUT);
      assertThat(output.get("datatype").getAsString()).isEqualTo("BYTES");
      assertThat(output.get("shape").toString()).isEqualTo("[" + batch.size() + ",3]");
      ByteBuffer binary = reply.binary();
      assertThat(binary.remaining()).isEqualTo(output.getAsJsonObject("parameters").get("binary_data_size").getAsInt());
      List<String> strings = bytesTensor(binary);
      assertThat(strings).hasSize(batch.size() * 3);
      for (int i = 0; i < batch.size(); i++) {
        assertClassifysTop(strings.subList(i * 3, (i + 1) * 3), batch.get(i).bytes(), 3);
      }
    }
  }

  @Test
  void http_theOutputLeftOut_isAsUnknownAsAnyOtherName() throws Exception {
    byte[] tensors = batchOfTensors(samples.subList(0, 1));
    for (String name : List.of(KServeModel.LOGITS, "softmax")) {
      Reply reply = postLikeTheClient(clientJson(1, tensors.length, name, 1), tensors);
      assertThat(reply.status()).isEqualTo(400);
      assertThat(reply.json().get("error").getAsString())
          .isEqualTo("unknown output '" + name + "'; the model's only output is '" + OUTPUT + "'");
    }
  }
}
