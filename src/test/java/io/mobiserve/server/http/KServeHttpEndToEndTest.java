package io.mobiserve.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.ByteString;
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
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.server.kserve.RawBytes;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.DigitsFixture.Sample;
import io.mobiserve.testing.ModelInputs;
import io.mobiserve.testing.RunningServer;
import io.mobiserve.testing.Scrape;
import io.mobiserve.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The KServe v2 HTTP/REST routes for real — Jetty on a loopback port, the JDK's HTTP client — on the digits
 * model: health, metadata, config, stats, inference in JSON and with binary tensors, and the refusals.
 */
class KServeHttpEndToEndTest {
  private static final ServerLimits LIMITS = new ServerLimits(64, new ImageLimits(1 << 20, 4_000_000), 8 << 20);
  private static final String MODEL = "digits-mobilenetv3-small";

  private static final PrometheusMetrics metrics = PrometheusMetrics.create();
  private static final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private static RunningServer server;
  private static KServeHttpServer http;
  private static ModelSpec model;
  private static List<Sample> samples;

  @BeforeAll
  static void start() throws Exception {
    model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    server = new RunningServer(model, (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)),
        RuntimeConfig.builder().build(), LIMITS, metrics);
    http = KServeHttpServer.start("127.0.0.1", 0, LIMITS, metrics);
    http.serve(ModelEndpoint.of(server.runtime(), LIMITS));
    samples = DigitsFixture.heldOut();
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    server.close();
  }

  private record Reply(int status, byte[] body, String headerLength, String contentType) {
    JsonObject json() {
      int length = headerLength == null ? body.length : Integer.parseInt(headerLength);
      return JsonParser.parseString(new String(body, 0, length, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    ByteBuffer binary() {
      int length = Integer.parseInt(headerLength);
      return ByteBuffer.wrap(body, length, body.length - length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    String error() {
      return json().get("error").getAsString();
    }
  }

  private static Reply send(int port, HttpRequest.Builder request) throws Exception {
    HttpResponse<byte[]> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    return new Reply(response.statusCode(), response.body(),
        response.headers().firstValue("Inference-Header-Content-Length").orElse(null),
        response.headers().firstValue("Content-Type").orElse(null));
  }

  private static Reply get(String path) throws Exception {
    return send(http.port(), HttpRequest.newBuilder(uri(http.port(), path)).GET());
  }

  private static Reply post(String path, String json) throws Exception {
    return send(http.port(), HttpRequest.newBuilder(uri(http.port(), path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private static Reply postBinary(String path, String json, byte[] binary) throws Exception {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] body = new byte[header.length + binary.length];
    System.arraycopy(header, 0, body, 0, header.length);
    System.arraycopy(binary, 0, body, header.length, binary.length);
    return send(http.port(), HttpRequest.newBuilder(uri(http.port(), path))
        .header("Content-Type", "application/octet-stream")
        .header("Inference-Header-Content-Length", Integer.toString(header.length))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static String infer() {
    return "/v2/models/" + MODEL + "/infer";
  }

  private static String b64(byte[] bytes) {
    return "{\"b64\": \"" + Base64.getEncoder().encodeToString(bytes) + "\"}";
  }

  private static List<ClassScore> classifyTop(byte[] encoded, int k) {
    return server.blockingStub().classify(ClassifyRequest.newBuilder().setTopK(k)
        .addImages(Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(encoded))))
        .build()).getResults(0).getClassesList();
  }

  private static JsonObject output(JsonObject response, String name) {
    for (JsonElement output : response.getAsJsonArray("outputs")) {
      if (output.getAsJsonObject().get("name").getAsString().equals(name)) {
        return output.getAsJsonObject();
      }
    }
    throw new AssertionError("no output " + name + " in " + response);
  }

  private static int argmax(JsonArray values, int from, int length) {
    int best = from;
    for (int i = from; i < from + length; i++) {
      if (values.get(i).getAsFloat() > values.get(best).getAsFloat()) {
        best = i;
      }
    }
    return best - from;
  }

  // --- health and metadata ---

  @Test
  void health_liveReadyAndModelReady() throws Exception {
    for (String path : List.of("/v2/health/live", "/v2/health/ready", "/v2/models/" + MODEL + "/ready",
        "/v2/models/" + MODEL + "/versions/1/ready")) {
      Reply reply = get(path);
      assertThat(reply.status()).as(path).isEqualTo(200);
      assertThat(reply.body()).as(path).isEmpty();
    }
    assertThat(get("/v2/models/resnet/ready").status()).isEqualTo(404);
    Reply version = get("/v2/models/" + MODEL + "/versions/2/ready");
    assertThat(version.status()).isEqualTo(404);
    assertThat(version.error()).contains("has no version '2'");
  }

  @Test
  void beforeTheModelIsServed_liveButNotReady_andModelRoutesUnavailable() throws Exception {
    try (KServeHttpServer loading = KServeHttpServer.start("127.0.0.1", 0, LIMITS, PrometheusMetrics.create())) {
      assertThat(send(loading.port(), HttpRequest.newBuilder(uri(loading.port(), "/v2/health/live"))).status())
          .isEqualTo(200);
      assertThat(send(loading.port(), HttpRequest.newBuilder(uri(loading.port(), "/v2/health/ready"))).status())
          .isEqualTo(400);
      assertThat(send(loading.port(), HttpRequest.newBuilder(uri(loading.port(), "/v2/models/" + MODEL + "/ready")))
          .status()).isEqualTo(400);
      Reply metadata = send(loading.port(), HttpRequest.newBuilder(uri(loading.port(), "/v2/models/" + MODEL)));
      assertThat(metadata.status()).isEqualTo(503);
      assertThat(metadata.error()).contains("not loaded yet");
    }
  }

  @Test
  void serverMetadata() throws Exception {
    JsonObject json = get("/v2").json();
    assertThat(json.get("name").getAsString()).isEqualTo("mobiserve");
    assertThat(json.getAsJsonArray("extensions").toString()).contains("\"binary_tensor_data\"", "\"classification\"");
  }

  @Test
  void modelMetadata_withAndWithoutVersion() throws Exception {
    for (String path : List.of("/v2/models/" + MODEL, "/v2/models/" + MODEL + "/versions/1")) {
      Reply reply = get(path);
      assertThat(reply.status()).isEqualTo(200);
      assertThat(reply.contentType()).startsWith("application/json");
      assertThat(reply.json()).isEqualTo(JsonParser.parseString("""
          {"name": "digits-mobilenetv3-small", "versions": ["1"], "platform": "onnxruntime_onnx",
           "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 64, 64]}],
           "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]},
                       {"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]}"""));
    }
    Reply unknown = get("/v2/models/resnet");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.error()).isEqualTo("model 'resnet' is not served here; this server serves '" + MODEL
        + "' (version 1)");
  }

  @Test
  void modelConfigAndStatistics() throws Exception {
    JsonObject config = get("/v2/models/" + MODEL + "/config").json();
    assertThat(config.get("max_batch_size").getAsInt()).isEqualTo(64);
    assertThat(config.getAsJsonArray("input").get(0).getAsJsonObject().get("format").getAsString())
        .isEqualTo("FORMAT_NCHW");
    assertThat(config.getAsJsonArray("input").get(0).getAsJsonObject().get("dims").toString()).isEqualTo("[3,64,64]");

    assertThat(post(infer(), "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": ["
        + b64(samples.get(0).bytes()) + "]}]}").status()).isEqualTo(200);
    JsonObject stats = get("/v2/models/" + MODEL + "/versions/1/stats").json()
        .getAsJsonArray("model_stats").get(0).getAsJsonObject();
    assertThat(stats.get("inference_count").getAsLong()).isPositive();
    assertThat(stats.getAsJsonObject("inference_stats").getAsJsonObject("success").get("count").getAsLong())
        .isPositive();
    assertThat(new Scrape(metrics.scrape()).get("mobiserve_requests_total",
        "method", "HTTP POST /v2/models/{name}/infer", "code", "OK")).isPositive();
  }

  // --- inference ---

  @Test
  void jsonBase64Jpeg_classificationOfProbabilities_isClassifysTop5() throws Exception {
    byte[] jpeg = TestImages.jpeg(TestImages.decode(samples.get(11).bytes()), 0.9f);
    List<ClassScore> expected = classifyTop(jpeg, 5);

    Reply reply = post(infer(), "{\"id\": \"42\", \"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\","
        + " \"shape\": [1], \"data\": [" + b64(jpeg) + "]}], \"outputs\": [{\"name\": \"probabilities\","
        + " \"parameters\": {\"classification\": 5}}]}");

    assertThat(reply.status()).isEqualTo(200);
    JsonObject json = reply.json();
    assertThat(json.get("id").getAsString()).isEqualTo("42");
    assertThat(json.get("model_name").getAsString()).isEqualTo(MODEL);
    JsonObject classes = output(json, "probabilities");
    assertThat(classes.get("datatype").getAsString()).isEqualTo("BYTES");
    assertThat(classes.get("shape").toString()).isEqualTo("[1,5]");
    JsonArray data = classes.getAsJsonArray("data");
    for (int i = 0; i < 5; i++) {
      String[] parts = data.get(i).getAsString().split(":");
      assertThat(Integer.parseInt(parts[1])).isEqualTo(expected.get(i).getIndex());
      assertThat(Float.parseFloat(parts[0])).isCloseTo(expected.get(i).getProbability(), within(1e-5f));
      assertThat(parts[2]).isEqualTo(expected.get(i).getLabel());
    }
  }

  @Test
  void jsonFp32_flattenedOrNested_givesClassifysTop1() throws Exception {
    for (int s = 0; s < 4; s++) {
      float[] tensor = ModelInputs.tensor(model, samples.get(s).bytes());
      int expected = classifyTop(samples.get(s).bytes(), 1).get(0).getIndex();
      StringBuilder flat = new StringBuilder();
      StringBuilder nested = new StringBuilder("[[");
      for (int c = 0; c < 3; c++) {
        nested.append(c == 0 ? "[" : ",[");
        for (int y = 0; y < 64; y++) {
          nested.append(y == 0 ? "[" : ",[");
          for (int x = 0; x < 64; x++) {
            float v = tensor[(c * 64 + y) * 64 + x];
            flat.append(flat.length() == 0 ? "" : ",").append(v);
            nested.append(x == 0 ? "" : ",").append(v);
          }
          nested.append(']');
        }
        nested.append(']');
      }
      nested.append("]]");
      for (String data : List.of("[" + flat + "]", nested.toString())) {
        Reply reply = post("/v2/models/" + MODEL + "/versions/1/infer", "{\"inputs\": [{\"name\": \"input\","
            + " \"shape\": [1, 3, 64, 64], \"datatype\": \"FP32\", \"data\": " + data + "}],"
            + " \"outputs\": [{\"name\": \"logits\"}]}");
        assertThat(reply.status()).as(reply.json().toString()).isEqualTo(200);
        JsonObject logits = output(reply.json(), "logits");
        assertThat(logits.get("shape").toString()).isEqualTo("[1,10]");
        assertThat(argmax(logits.getAsJsonArray("data"), 0, 10)).isEqualTo(expected);
      }
    }
  }

  @Test
  void binaryTensors_fp32InputAndBinaryOutputs() throws Exception {
    byte[] a = ModelInputs.tensorBytes(model, samples.get(5).bytes());
    byte[] b = ModelInputs.tensorBytes(model, samples.get(6).bytes());
    byte[] both = new byte[a.length + b.length];
    System.arraycopy(a, 0, both, 0, a.length);
    System.arraycopy(b, 0, both, a.length, b.length);

    Reply reply = postBinary(infer(), "{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 3, 64, 64],"
        + " \"datatype\": \"FP32\", \"parameters\": {\"binary_data_size\": " + both.length + "}}],"
        + " \"outputs\": [{\"name\": \"logits\", \"parameters\": {\"binary_data\": true}},"
        + " {\"name\": \"probabilities\", \"parameters\": {\"classification\": 1}}]}", both);

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.contentType()).isEqualTo("application/octet-stream");
    JsonObject logits = output(reply.json(), "logits");
    assertThat(logits.has("data")).isFalse();
    assertThat(logits.getAsJsonObject("parameters").get("binary_data_size").getAsInt()).isEqualTo(80);
    ByteBuffer binary = reply.binary();
    assertThat(binary.remaining()).isEqualTo(80);
    float[] values = new float[20];
    binary.asFloatBuffer().get(values);
    JsonArray top = output(reply.json(), "probabilities").getAsJsonArray("data");
    for (int i = 0; i < 2; i++) {
      int best = 0;
      for (int c = 1; c < 10; c++) {
        best = values[i * 10 + c] > values[i * 10 + best] ? c : best;
      }
      assertThat(best).isEqualTo(classifyTop(samples.get(5 + i).bytes(), 1).get(0).getIndex());
      assertThat(top.get(i).getAsString().split(":")[1]).isEqualTo(String.valueOf(best));
    }
  }

  @Test
  void binaryTensors_bytesInputAndBinaryDataOutputForEveryOutput() throws Exception {
    byte[] png = samples.get(8).bytes();
    byte[] raw = RawBytes.join(List.of(png));
    Reply reply = postBinary(infer(), "{\"parameters\": {\"binary_data_output\": true}, \"inputs\": [{\"name\":"
        + " \"input\", \"shape\": [1], \"datatype\": \"BYTES\", \"parameters\": {\"binary_data_size\": "
        + raw.length + "}}], \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"classification\": 2}},"
        + " {\"name\": \"logits\", \"parameters\": {\"binary_data\": false}}]}", raw);

    assertThat(reply.status()).as(new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    JsonObject json = reply.json();
    assertThat(output(json, "logits").getAsJsonArray("data")).hasSize(10);
    int size = output(json, "probabilities").getAsJsonObject("parameters").get("binary_data_size").getAsInt();
    List<ByteBuffer> strings = RawBytes.split(reply.binary(), 2, "test");
    assertThat(reply.binary().remaining()).isEqualTo(size);
    assertThat(StandardCharsets.UTF_8.decode(strings.get(0)).toString())
        .matches("\\d\\.\\d{6}:" + samples.get(8).label() + ":" + samples.get(8).label());
  }

  // --- refusals ---

  @Test
  void badRequests_areAnsweredWithTheSpecsCodeAndAnErrorNamingTheProblem() throws Exception {
    String png = b64(samples.get(0).bytes());
    Object[][] cases = {
        {"{\"inputs\": [", 400, "not valid JSON"},
        {"[1, 2]", 400, "the request must be an object, not begin_array"},
        {"{\"inputs\": [{\"name\": \"image\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [" + png + "]}]}", 400,
            "unknown input 'image'; the model's only input is 'input'"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"INT32\", \"shape\": [1], \"data\": [1]}]}", 400,
            "input 'input': datatype 'INT32' is not accepted"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 3, 64, 64], \"data\": [1, 2]}]}",
            400, "input 'input': data holds 2 values; its shape needs 12288"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"FP32\", \"shape\": [1, 2], \"data\": [1, 2]}]}", 400,
            "input 'input': shape [1,2] does not match the model's [-1,3,64,64]"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [" + png + ", " + png
            + "]}]}", 400, "input 'input': data holds 2 elements; its shape needs 1"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [\"hello\"]}]}", 400,
            "input 'input': image 0: "},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [{\"b64\": \"%%\"}]}]}",
            400, "not valid base64"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [" + png + "]}],"
            + " \"outputs\": [{\"name\": \"scores\"}]}", 400, "unknown output 'scores'"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": [" + png + "]}],"
            + " \"outputs\": [{\"name\": \"logits\", \"parameters\": {\"classification\": \"5\"}}]}", 400,
            "output 'logits': parameter 'classification' must be an int64_param, not string_param"},
        {"{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"parameters\":"
            + " {\"binary_data_size\": 10}}]}", 400, "binary_data_size is 10 but only 0 bytes of binary data are left"},
    };
    for (Object[] c : cases) {
      Reply reply = post(infer(), (String) c[0]);
      assertThat(reply.status()).as((String) c[2]).isEqualTo(c[1]);
      assertThat(reply.contentType()).startsWith("application/json");
      assertThat(reply.error()).contains((String) c[2]);
    }
    Reply model = post("/v2/models/resnet/infer", "{}");
    assertThat(model.status()).isEqualTo(404);
    assertThat(model.error()).contains("model 'resnet' is not served here");
    Reply route = get("/v2/models/" + MODEL + "/explain");
    assertThat(route.status()).isEqualTo(404);
    assertThat(route.error()).contains("no route GET /v2/models/" + MODEL + "/explain");
    Reply method = get(infer());
    assertThat(method.status()).isEqualTo(405);
    assertThat(method.error()).contains("use POST");
    Reply header = send(http.port(), HttpRequest.newBuilder(uri(http.port(), infer()))
        .header("Inference-Header-Content-Length", "99999").POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertThat(header.status()).isEqualTo(400);
    assertThat(header.error()).contains("Inference-Header-Content-Length 99999 must be from 1 to the body's 2 bytes");
    Reply tooLarge = send(http.port(), HttpRequest.newBuilder(uri(http.port(), infer()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(8 << 20) + 1])));
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.error()).contains("over the limit of 8388608 bytes");
    Reply tooLargeChunked = send(http.port(), HttpRequest.newBuilder(uri(http.port(), infer()))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(new byte[(8 << 20) + 1]))));
    assertThat(tooLargeChunked.status()).as(new String(tooLargeChunked.body(), StandardCharsets.UTF_8)).isEqualTo(413);
    // and the server keeps serving
    assertThat(post(infer(), "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1], \"data\": ["
        + png + "]}]}").status()).isEqualTo(200);
  }
}
