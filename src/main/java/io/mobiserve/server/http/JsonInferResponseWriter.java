package io.mobiserve.server.http;

import com.google.gson.stream.JsonWriter;
import io.grpc.StatusException;
import io.mobiserve.api.inference.ModelInferResponse;
import io.mobiserve.api.inference.ModelInferResponse.InferOutputTensor;
import io.mobiserve.server.kserve.RawBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a ModelInferResponse (its outputs in raw_output_contents, as every HTTP request asks for them) as
 * the protocol's JSON response, each output's data either in JSON — FP32 as numbers, BYTES as strings — or,
 * where the request asked for binary data, after the JSON with its {@code binary_data_size} parameter.
 */
final class JsonInferResponseWriter {
  private JsonInferResponseWriter() {}

  static V2Reply write(ModelInferResponse response, JsonInferRequestReader.JsonInfer request) {
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonWriter json = new JsonWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
      json.beginObject();
      json.name("model_name").value(response.getModelName());
      json.name("model_version").value(response.getModelVersion());
      if (!response.getId().isEmpty()) {
        json.name("id").value(response.getId());
      }
      json.name("outputs").beginArray();
      for (int i = 0; i < response.getOutputsCount(); i++) {
        InferOutputTensor output = response.getOutputs(i);
        ByteBuffer raw = response.getRawOutputContents(i).asReadOnlyByteBuffer();
        json.beginObject();
        json.name("name").value(output.getName());
        json.name("datatype").value(output.getDatatype());
        json.name("shape").beginArray();
        for (long dim : output.getShapeList()) {
          json.value(dim);
        }
        json.endArray();
        if (request.binary(output.getName())) {
          json.name("parameters").beginObject()
              .name(JsonInferRequestReader.BINARY_DATA_SIZE).value(raw.remaining()).endObject();
          byte[] bytes = new byte[raw.remaining()];
          raw.get(bytes);
          binary.write(bytes, 0, bytes.length);
        } else {
          json.name("data").beginArray();
          if (output.getDatatype().equals("BYTES")) {
            strings(json, raw, output);
          } else {
            FloatBuffer floats = raw.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            while (floats.hasRemaining()) {
              json.jsonValue(Float.toString(floats.get()));
            }
          }
          json.endArray();
        }
        json.endObject();
      }
      json.endArray();
      json.endObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int jsonLength = out.size();
    if (binary.size() == 0) {
      return new V2Reply(200, out.toByteArray(), -1, io.grpc.Status.Code.OK, -1);
    }
    out.write(binary.toByteArray(), 0, binary.size());
    return new V2Reply(200, out.toByteArray(), jsonLength, io.grpc.Status.Code.OK, -1);
  }

  private static void strings(JsonWriter json, ByteBuffer raw, InferOutputTensor output) throws IOException {
    long count = 1;
    for (long dim : output.getShapeList()) {
      count *= dim;
    }
    List<ByteBuffer> elements;
    try {
      elements = RawBytes.split(raw, (int) count, "output '" + output.getName() + "'");
    } catch (StatusException e) {
      throw new IllegalStateException("the server wrote a malformed BYTES output: " + e.getMessage(), e);
    }
    for (ByteBuffer element : elements) {
      json.value(StandardCharsets.UTF_8.decode(element).toString());
    }
  }
}
