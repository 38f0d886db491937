package io.mobiserve.server.http;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.mobiserve.api.inference.InferStatistics;
import io.mobiserve.api.inference.ModelConfig;
import io.mobiserve.api.inference.ModelInput;
import io.mobiserve.api.inference.ModelMetadataResponse;
import io.mobiserve.api.inference.ModelOutput;
import io.mobiserve.api.inference.ModelStatistics;
import io.mobiserve.api.inference.ServerMetadataResponse;
import io.mobiserve.api.inference.StatisticDuration;
import java.util.List;

/**
 * The JSON forms of the protocol's metadata, configuration and statistics messages, field names as the
 * protocol's HTTP API and Triton's write them (snake_case, enums by name, numbers as numbers).
 */
final class V2Json {
  private V2Json() {}

  static JsonObject server(ServerMetadataResponse metadata) {
    JsonObject json = new JsonObject();
    json.addProperty("name", metadata.getName());
    json.addProperty("version", metadata.getVersion());
    json.add("extensions", strings(metadata.getExtensionsList()));
    return json;
  }

  static JsonObject model(ModelMetadataResponse metadata) {
    JsonObject json = new JsonObject();
    json.addProperty("name", metadata.getName());
    json.add("versions", strings(metadata.getVersionsList()));
    json.addProperty("platform", metadata.getPlatform());
    json.add("inputs", tensors(metadata.getInputsList()));
    json.add("outputs", tensors(metadata.getOutputsList()));
    return json;
  }

  static JsonObject config(ModelConfig config) {
    JsonObject json = new JsonObject();
    json.addProperty("name", config.getName());
    json.addProperty("platform", config.getPlatform());
    json.addProperty("backend", config.getBackend());
    json.addProperty("max_batch_size", config.getMaxBatchSize());
    JsonArray inputs = new JsonArray();
    for (ModelInput input : config.getInputList()) {
      JsonObject in = new JsonObject();
      in.addProperty("name", input.getName());
      in.addProperty("data_type", input.getDataType().name());
      in.addProperty("format", input.getFormat().name());
      in.add("dims", numbers(input.getDimsList()));
      inputs.add(in);
    }
    json.add("input", inputs);
    JsonArray outputs = new JsonArray();
    for (ModelOutput output : config.getOutputList()) {
      JsonObject out = new JsonObject();
      out.addProperty("name", output.getName());
      out.addProperty("data_type", output.getDataType().name());
      out.add("dims", numbers(output.getDimsList()));
      out.addProperty("label_filename", output.getLabelFilename());
      outputs.add(out);
    }
    json.add("output", outputs);
    JsonObject batching = new JsonObject();
    batching.add("preferred_batch_size", numbers(config.getDynamicBatching().getPreferredBatchSizeList()));
    batching.addProperty("max_queue_delay_microseconds", config.getDynamicBatching().getMaxQueueDelayMicroseconds());
    json.add("dynamic_batching", batching);
    return json;
  }

  static JsonObject statistics(ModelStatistics stats) {
    JsonObject model = new JsonObject();
    model.addProperty("name", stats.getName());
    model.addProperty("version", stats.getVersion());
    model.addProperty("last_inference", stats.getLastInference());
    model.addProperty("inference_count", stats.getInferenceCount());
    model.addProperty("execution_count", stats.getExecutionCount());
    InferStatistics infer = stats.getInferenceStats();
    JsonObject inference = new JsonObject();
    inference.add("success", duration(infer.getSuccess()));
    inference.add("fail", duration(infer.getFail()));
    inference.add("queue", duration(infer.getQueue()));
    inference.add("compute_input", duration(infer.getComputeInput()));
    inference.add("compute_infer", duration(infer.getComputeInfer()));
    inference.add("compute_output", duration(infer.getComputeOutput()));
    model.add("inference_stats", inference);
    model.add("batch_stats", new JsonArray());
    JsonArray models = new JsonArray();
    models.add(model);
    JsonObject json = new JsonObject();
    json.add("model_stats", models);
    return json;
  }

  private static JsonObject duration(StatisticDuration duration) {
    JsonObject json = new JsonObject();
    json.addProperty("count", duration.getCount());
    json.addProperty("ns", duration.getNs());
    return json;
  }

  private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> tensors) {
    JsonArray json = new JsonArray();
    for (ModelMetadataResponse.TensorMetadata tensor : tensors) {
      JsonObject t = new JsonObject();
      t.addProperty("name", tensor.getName());
      t.addProperty("datatype", tensor.getDatatype());
      t.add("shape", numbers(tensor.getShapeList()));
      json.add(t);
    }
    return json;
  }

  private static JsonArray strings(List<String> values) {
    JsonArray json = new JsonArray();
    values.forEach(json::add);
    return json;
  }

  private static JsonArray numbers(List<? extends Number> values) {
    JsonArray json = new JsonArray();
    values.forEach(json::add);
    return json;
  }
}
