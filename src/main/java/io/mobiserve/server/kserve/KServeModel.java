package io.mobiserve.server.kserve;

import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.inference.DataType;
import io.mobiserve.api.inference.ModelConfig;
import io.mobiserve.api.inference.ModelDynamicBatching;
import io.mobiserve.api.inference.ModelInput;
import io.mobiserve.api.inference.ModelMetadataResponse;
import io.mobiserve.api.inference.ModelMetadataResponse.TensorMetadata;
import io.mobiserve.api.inference.ModelOutput;
import io.mobiserve.batching.BatchingConfig;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.server.ModelEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The served model as the Open Inference Protocol sees it: its name and only version, one image input
 * (FP32 {@code [N, 3, H, W]}, or BYTES {@code [N]} of encoded images) and the outputs the server presents
 * ({@code serve --kserve-outputs}, {@link ModelEndpoint#kserveOutputs()}): {@value #LOGITS} and {@value
 * #PROBABILITIES}, both FP32 {@code [N, classes]}, or just one of them. Metadata, configuration and
 * inference all show the same outputs; one left out is unknown to every call, as any other name is.
 * Immutable and thread-safe.
 */
public final class KServeModel {
  /** The only version served. */
  public static final String VERSION = "1";
  public static final String LOGITS = "logits";
  public static final String PROBABILITIES = "probabilities";
  /** Every output the protocol can present, in the order it presents them. */
  public static final List<String> OUTPUTS = List.of(LOGITS, PROBABILITIES);

  private final ModelEndpoint serving;
  private final ModelSpec spec;
  private final String name;
  private final List<String> outputs;

  public KServeModel(ModelEndpoint serving) {
    this.serving = serving;
    this.spec = serving.pipeline().model();
    this.name = serving.info().getName();
    this.outputs = serving.kserveOutputs();
  }

  /**
   * The outputs to present, checked: some of {@link #OUTPUTS}, each named once, in {@link #OUTPUTS}' order
   * whatever order they are named in.
   *
   * @throws IllegalArgumentException for none, an unknown name or one named twice, saying which
   */
  public static List<String> presented(Collection<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("name at least one output: " + both());
    }
    Set<String> seen = new HashSet<>();
    for (String output : names) {
      if (!OUTPUTS.contains(output)) {
        throw new IllegalArgumentException("unknown output '" + output + "'; the outputs are " + both());
      }
      if (!seen.add(output)) {
        throw new IllegalArgumentException("output '" + output + "' is named twice");
      }
    }
    List<String> ordered = new ArrayList<>(OUTPUTS);
    ordered.retainAll(seen);
    return List.copyOf(ordered);
  }

  private static String both() {
    return "'" + LOGITS + "' and '" + PROBABILITIES + "'";
  }

  public ModelEndpoint serving() {
    return serving;
  }

  public String name() {
    return name;
  }

  public String inputName() {
    return spec.inputName();
  }

  public InputShape input() {
    return spec.input();
  }

  public int classes() {
    return spec.classes();
  }

  /** The outputs presented, in the order metadata lists them and a request without outputs gets them. */
  public List<String> outputs() {
    return outputs;
  }

  /** How a refusal names what may be asked for: "the model's outputs are ..." or "the model's only output is ...". */
  String outputsDescription() {
    if (outputs.size() == 1) {
      return "the model's only output is '" + outputs.get(0) + "'";
    }
    return "the model's outputs are '" + String.join("' and '", outputs) + "'";
  }

  /** The most images one request may carry (--max-images-per-request): Triton's max_batch_size. */
  public int maxBatchSize() {
    return serving.limits().maxImagesPerRequest();
  }

  /** "tensorrt_plan" while TensorRT runs the model, else "onnxruntime_onnx", as Triton names them. */
  public String platform() {
    return serving.health().accelerated() ? "tensorrt_plan" : "onnxruntime_onnx";
  }

  private String backend() {
    return serving.health().accelerated() ? "tensorrt" : "onnxruntime";
  }

  /**
   * Checks that a request names this model: its name, and version "1" or none.
   *
   * @throws StatusException NOT_FOUND naming what is served instead
   */
  public void check(String modelName, String version) throws StatusException {
    if (!name.equals(modelName)) {
      throw Status.NOT_FOUND.withDescription("model '" + modelName + "' is not served here; this server serves '"
          + name + "' (version " + VERSION + ")").asException();
    }
    if (!version.isEmpty() && !version.equals(VERSION)) {
      throw Status.NOT_FOUND.withDescription("model '" + name + "' has no version '" + version
          + "'; it has version " + VERSION).asException();
    }
  }

  /** The input's shape as metadata gives it: {@code [-1, 3, H, W]}. */
  public List<Long> inputShape() {
    InputShape in = spec.input();
    return List.of(-1L, (long) in.channels(), (long) in.height(), (long) in.width());
  }

  public ModelMetadataResponse metadata() {
    ModelMetadataResponse.Builder metadata = ModelMetadataResponse.newBuilder()
        .setName(name)
        .addVersions(VERSION)
        .setPlatform(platform())
        .addInputs(TensorMetadata.newBuilder().setName(inputName()).setDatatype(Datatype.FP32)
            .addAllShape(inputShape()));
    for (String output : outputs) {
      metadata.addOutputs(TensorMetadata.newBuilder().setName(output).setDatatype(Datatype.FP32)
          .addShape(-1).addShape(classes()));
    }
    return metadata.build();
  }

  public ModelConfig config() {
    InputShape in = spec.input();
    BatchingConfig batching = serving.batching();
    ModelConfig.Builder config = ModelConfig.newBuilder()
        .setName(name)
        .setPlatform(platform())
        .setBackend(backend())
        .setMaxBatchSize(maxBatchSize())
        .addInput(ModelInput.newBuilder()
            .setName(inputName())
            .setDataType(DataType.TYPE_FP32)
            .setFormat(ModelInput.Format.FORMAT_NCHW)
            .addDims(in.channels()).addDims(in.height()).addDims(in.width()))
        .setDynamicBatching(ModelDynamicBatching.newBuilder()
            .addAllPreferredBatchSize(batching.preferredBatchSizes())
            .setMaxQueueDelayMicroseconds(TimeUnit.NANOSECONDS.toMicros(batching.maxQueueDelayNanos())));
    for (String output : outputs) {
      ModelOutput.Builder out = ModelOutput.newBuilder().setName(output).setDataType(DataType.TYPE_FP32)
          .addDims(classes());
      if (spec.labels().isPresent()) {
        out.setLabelFilename("labels.txt");
      }
      config.addOutput(out);
    }
    return config.build();
  }

  /** The name of class {@code index}, or null when the model has none. */
  String label(int index) {
    return spec.labels().isPresent() ? spec.labels().name(index) : null;
  }
}
