package io.mobiserve.server.http;

import com.google.gson.JsonParseException;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.inference.InferParameter;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelInferRequest.InferInputTensor;
import io.mobiserve.api.inference.ModelInferRequest.InferRequestedOutputTensor;
import io.mobiserve.server.kserve.RawBytes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the protocol's JSON inference request — and, with Triton's binary tensor extension, the binary
 * tensor data after it — into the ModelInferRequest that the gRPC service runs too. The JSON is read as a
 * stream, so a large tensor never becomes a tree of objects: FP32 data goes straight into little-endian
 * bytes. Every input reaches the request as raw_input_contents (the outputs then come back raw), whatever
 * form it came in:
 *
 * <ul>
 *   <li>FP32 {@code data}: numbers, flattened or nested as the shape;
 *   <li>BYTES {@code data}: strings (their UTF-8 bytes, as Triton reads them) or, for binary such as an
 *       image, {@code {"b64": "..."}} objects (base64, TensorFlow Serving's convention);
 *   <li>either type as binary data: the input's {@code binary_data_size} parameter says how many bytes of
 *       the binary section are its data (BYTES elements each as a 4-byte little-endian length and the bytes).
 * </ul>
 *
 * Refusals are INVALID_ARGUMENT statuses naming the input and the problem.
 */
final class JsonInferRequestReader {
  static final String BINARY_DATA_SIZE = "binary_data_size";
  static final String BINARY_DATA = "binary_data";
  static final String BINARY_DATA_OUTPUT = "binary_data_output";

  /**
   * A request read from HTTP: the protocol request, and which outputs go back as binary data.
   *
   * @param binaryOutputs an output's binary_data parameter, by output name
   * @param binaryByDefault the request's binary_data_output parameter, for outputs without their own
   */
  record JsonInfer(ModelInferRequest request, Map<String, Boolean> binaryOutputs, boolean binaryByDefault) {
    boolean binary(String output) {
      return binaryOutputs.getOrDefault(output, binaryByDefault);
    }
  }

  private final byte[] body;
  private final int jsonLength;
  private int binaryOffset;

  /**
   * @param body the whole HTTP body
   * @param jsonLength how many leading bytes of it are the JSON (the Inference-Header-Content-Length; the
   *     body's length when there is no binary data)
   */
  JsonInferRequestReader(byte[] body, int jsonLength) {
    this.body = body;
    this.jsonLength = jsonLength;
    this.binaryOffset = jsonLength;
  }

  /** @throws StatusException INVALID_ARGUMENT for malformed JSON or a tensor that does not add up */
  JsonInfer read(String modelName, String modelVersion) throws StatusException {
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder()
        .setModelName(modelName)
        .setModelVersion(modelVersion);
    Map<String, Boolean> binaryOutputs = new HashMap<>();
    boolean binaryByDefault = false;
    try (JsonReader json = new JsonReader(new InputStreamReader(
        new ByteArrayInputStream(body, 0, jsonLength), StandardCharsets.UTF_8))) {
      json.setStrictness(com.google.gson.Strictness.STRICT);
      expect(json, JsonToken.BEGIN_OBJECT, "the request");
      json.beginObject();
      while (json.hasNext()) {
        String key = json.nextName();
        switch (key) {
          case "id" -> request.setId(string(json, "id"));
          case "parameters" -> {
            Map<String, InferParameter> parameters = parameters(json, "the request");
            InferParameter binary = parameters.remove(BINARY_DATA_OUTPUT);
            binaryByDefault = binary != null && bool(binary, "the request", BINARY_DATA_OUTPUT);
            request.putAllParameters(parameters);
          }
          case "inputs" -> {
            expect(json, JsonToken.BEGIN_ARRAY, "inputs");
            json.beginArray();
            while (json.hasNext()) {
              input(json, request);
            }
            json.endArray();
          }
          case "outputs" -> {
            expect(json, JsonToken.BEGIN_ARRAY, "outputs");
            json.beginArray();
            while (json.hasNext()) {
              output(json, request, binaryOutputs);
            }
            json.endArray();
          }
          default -> json.skipValue(); // model_name, and whatever a client adds: the protocol lets servers ignore it
        }
      }
      json.endObject();
      if (json.peek() != JsonToken.END_DOCUMENT) {
        throw invalid("the JSON request has more after its closing brace");
      }
    } catch (MalformedJsonException | JsonParseException | IllegalStateException | NumberFormatException
        | ArithmeticException e) {
      throw invalid("the request is not valid JSON: " + e.getMessage());
    } catch (IOException e) {
      throw invalid("the request is not valid JSON: " + e.getMessage());
    }
    if (binaryOffset != body.length) {
      throw invalid("the body has " + (body.length - binaryOffset) + " bytes of binary data that no input's "
          + BINARY_DATA_SIZE + " claims");
    }
    return new JsonInfer(request.build(), binaryOutputs, binaryByDefault);
  }

  private void input(JsonReader json, ModelInferRequest.Builder request) throws IOException, StatusException {
    expect(json, JsonToken.BEGIN_OBJECT, "an input");
    InferInputTensor.Builder input = InferInputTensor.newBuilder();
    Map<String, InferParameter> parameters = Map.of();
    JsonData data = null;
    json.beginObject();
    while (json.hasNext()) {
      String key = json.nextName();
      switch (key) {
        case "name" -> input.setName(string(json, "an input's name"));
        case "datatype" -> input.setDatatype(string(json, "an input's datatype"));
        case "shape" -> {
          expect(json, JsonToken.BEGIN_ARRAY, "an input's shape");
          json.beginArray();
          while (json.hasNext()) {
            input.addShape(json.nextLong());
          }
          json.endArray();
        }
        case "parameters" -> parameters = parameters(json, "an input");
        case "data" -> data = JsonData.read(json);
        default -> json.skipValue();
      }
    }
    json.endObject();
    String where = "input '" + input.getName() + "'";
    InferParameter binarySize = parameters.get(BINARY_DATA_SIZE);
    for (Map.Entry<String, InferParameter> parameter : parameters.entrySet()) {
      if (!parameter.getKey().equals(BINARY_DATA_SIZE)) {
        input.putParameters(parameter.getKey(), parameter.getValue());
      }
    }
    long elements = 1;
    for (long dim : input.getShapeList()) {
      if (dim < 0) {
        throw invalid(where + ": shape " + input.getShapeList() + " has a negative dimension");
      }
      elements = Math.multiplyExact(elements, Math.max(dim, 0));
    }
    ByteString raw;
    if (binarySize != null) {
      if (data != null) {
        throw invalid(where + ": has both data and the " + BINARY_DATA_SIZE + " parameter; send one");
      }
      raw = binary(where, binarySize);
    } else if (data == null) {
      throw invalid(where + ": has no data (give data, or binary data with the " + BINARY_DATA_SIZE + " parameter)");
    } else {
      raw = data.toRaw(input.getDatatype(), elements, where);
    }
    request.addInputs(input).addRawInputContents(raw);
  }

  /** The next {@code size} bytes of the binary section, as a view. */
  private ByteString binary(String where, InferParameter size) throws StatusException {
    if (size.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.INT64_PARAM || size.getInt64Param() < 0) {
      throw invalid(where + ": " + BINARY_DATA_SIZE + " must be a whole number of bytes, 0 or more");
    }
    long available = body.length - binaryOffset;
    if (size.getInt64Param() > available) {
      throw invalid(where + ": " + BINARY_DATA_SIZE + " is " + size.getInt64Param() + " but only " + available
          + " bytes of binary data are left in the body");
    }
    ByteString slice = UnsafeByteOperations.unsafeWrap(body, binaryOffset, (int) size.getInt64Param());
    binaryOffset += (int) size.getInt64Param();
    return slice;
  }

  private static void output(JsonReader json, ModelInferRequest.Builder request, Map<String, Boolean> binaryOutputs)
      throws IOException, StatusException {
    expect(json, JsonToken.BEGIN_OBJECT, "an output");
    InferRequestedOutputTensor.Builder output = InferRequestedOutputTensor.newBuilder();
    Map<String, InferParameter> parameters = Map.of();
    json.beginObject();
    while (json.hasNext()) {
      String key = json.nextName();
      switch (key) {
        case "name" -> output.setName(string(json, "an output's name"));
        case "parameters" -> parameters = parameters(json, "an output");
        default -> json.skipValue();
      }
    }
    json.endObject();
    for (Map.Entry<String, InferParameter> parameter : parameters.entrySet()) {
      if (parameter.getKey().equals(BINARY_DATA)) {
        binaryOutputs.put(output.getName(), bool(parameter.getValue(), "output '" + output.getName() + "'", BINARY_DATA));
      } else {
        output.putParameters(parameter.getKey(), parameter.getValue());
      }
    }
    request.addOutputs(output);
  }

  /** A $parameters object: strings, booleans and numbers (whole numbers as int64, others as double). */
  private static Map<String, InferParameter> parameters(JsonReader json, String where)
      throws IOException, StatusException {
    expect(json, JsonToken.BEGIN_OBJECT, where + "'s parameters");
    Map<String, InferParameter> parameters = new HashMap<>();
    json.beginObject();
    while (json.hasNext()) {
      String key = json.nextName();
      InferParameter.Builder value = InferParameter.newBuilder();
      switch (json.peek()) {
        case STRING -> value.setStringParam(json.nextString());
        case BOOLEAN -> value.setBoolParam(json.nextBoolean());
        case NUMBER -> {
          String number = json.nextString();
          try {
            value.setInt64Param(Long.parseLong(number));
          } catch (NumberFormatException notWhole) {
            value.setDoubleParam(Double.parseDouble(number));
          }
        }
        default -> throw invalid(where + ": parameter '" + key + "' must be a string, a number or a boolean");
      }
      parameters.put(key, value.build());
    }
    json.endObject();
    return parameters;
  }

  private static boolean bool(InferParameter value, String where, String key) throws StatusException {
    if (value.getParameterChoiceCase() != InferParameter.ParameterChoiceCase.BOOL_PARAM) {
      throw invalid(where + ": parameter '" + key + "' must be true or false");
    }
    return value.getBoolParam();
  }

  private static String string(JsonReader json, String what) throws IOException, StatusException {
    expect(json, JsonToken.STRING, what);
    return json.nextString();
  }

  private static void expect(JsonReader json, JsonToken token, String what) throws IOException, StatusException {
    if (json.peek() != token) {
      throw invalid(what + " must be " + switch (token) {
        case BEGIN_OBJECT -> "an object";
        case BEGIN_ARRAY -> "an array";
        case STRING -> "a string";
        default -> token.name().toLowerCase(java.util.Locale.ROOT);
      } + ", not " + json.peek().name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }

  /**
   * A tensor's {@code data} array, flattened while it is read: numbers into a growing float array, strings
   * and {"b64": ...} objects into byte arrays. Which one it must be is known only once the datatype is
   * (the keys of an input may come in any order).
   */
  private static final class JsonData {
    private float[] numbers = new float[64];
    private int numberCount;
    private final List<byte[]> strings = new ArrayList<>();
    private String other;

    static JsonData read(JsonReader json) throws IOException, StatusException {
      JsonData data = new JsonData();
      expect(json, JsonToken.BEGIN_ARRAY, "an input's data");
      data.array(json);
      return data;
    }

    private void array(JsonReader json) throws IOException, StatusException {
      json.beginArray();
      while (json.hasNext()) {
        switch (json.peek()) {
          case BEGIN_ARRAY -> array(json);
          case NUMBER -> {
            if (numberCount == numbers.length) {
              numbers = java.util.Arrays.copyOf(numbers, numbers.length * 2);
            }
            numbers[numberCount++] = (float) json.nextDouble();
          }
          case STRING -> strings.add(json.nextString().getBytes(StandardCharsets.UTF_8));
          case BEGIN_OBJECT -> strings.add(base64(json));
          default -> {
            other = json.peek().name().toLowerCase(java.util.Locale.ROOT);
            json.skipValue();
          }
        }
      }
      json.endArray();
    }

    private static byte[] base64(JsonReader json) throws IOException, StatusException {
      json.beginObject();
      byte[] decoded = null;
      while (json.hasNext()) {
        if (json.nextName().equals("b64") && json.peek() == JsonToken.STRING) {
          try {
            decoded = Base64.getDecoder().decode(json.nextString());
          } catch (IllegalArgumentException e) {
            throw invalid("a {\"b64\": ...} element is not valid base64: " + e.getMessage());
          }
        } else {
          json.skipValue();
        }
      }
      json.endObject();
      if (decoded == null) {
        throw invalid("an object in data must be {\"b64\": \"<base64>\"}");
      }
      return decoded;
    }

    /** The data in the protocol's binary form for {@code datatype}, checked against the element count. */
    ByteString toRaw(String datatype, long elements, String where) throws StatusException {
      if (datatype.equals("FP32")) {
        if (!strings.isEmpty() || other != null) {
          throw invalid(where + ": FP32 data must be numbers only");
        }
        if (numberCount != elements) {
          throw invalid(where + ": data holds " + numberCount + " values; its shape needs " + elements);
        }
        ByteBuffer bytes = ByteBuffer.allocate(numberCount * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(numbers, 0, numberCount);
        return UnsafeByteOperations.unsafeWrap(bytes.array());
      }
      if (datatype.equals("BYTES")) {
        if (numberCount > 0 || other != null) {
          throw invalid(where + ": BYTES data must be strings or {\"b64\": ...} objects only");
        }
        if (strings.size() != elements) {
          throw invalid(where + ": data holds " + strings.size() + " elements; its shape needs " + elements);
        }
        return UnsafeByteOperations.unsafeWrap(RawBytes.join(strings));
      }
      return ByteString.EMPTY; // a datatype the model does not take: the inference refuses it by name
    }
  }
}
