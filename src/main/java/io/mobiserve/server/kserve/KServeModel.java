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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The served model as the Open Inference Protocol sees it: its name and only version, one image input
 * (FP32 {@code [N, 3, H, W]}, or BYTES {@code [N]} of encoded images) and two outputs, {@value #LOGITS}
 * and {@value #PROBABILITIES}, both FP32 {@code [N, classes]}. Immutable and thread-safe.
 */
public final class KServeModel {
  /** The only version served. */
  public static final String VERSION = "1";
  public static final String LOGITS = "logits";
  public static final String PROBABILITIES = "probabilities";
  static final List<String> OUTPUTS = List.of(LOGITS, PROBABILITIES);

  private final ModelEndpoint serving;
  private final ModelSpec spec;
  private final String name;

  public KServeModel(ModelEndpoint serving) {
    this.serving = serving;
    this.spec = serving.pipeline().model();
    this.name = serving.info().getName();
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
    for (String output : OUTPUTS) {
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
    for (String output : OUTPUTS) {
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
