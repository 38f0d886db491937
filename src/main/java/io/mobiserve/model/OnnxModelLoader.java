package io.mobiserve.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Opens an ONNX image classifier and describes it as a {@link ModelSpec}, or refuses it with a reason
 * when the server could not serve it.
 *
 * <p>Servable means: exactly one float32 input shaped {@code [N, 3, H, W]} (NCHW; {@code N} may be dynamic
 * or fixed; {@code H} and {@code W} fixed, or given as overrides) and exactly one float output shaped
 * {@code [N, classes]} with a fixed class count. The spec is filled from, in order of precedence: the
 * {@link ModelOverrides}, the model's {@code mobiserve.*} metadata properties, and torchvision's defaults.
 * Models with 1000 classes and no labels get the bundled ImageNet-1k names.
 *
 * <p>Stateless and safe to call from any thread. Each call opens (and closes) a short-lived ONNX Runtime
 * session without graph optimizations, so loading is cheap next to building an engine.
 */
public final class OnnxModelLoader {
  private OnnxModelLoader() {}

  /**
   * Reads {@code onnxFile} and returns what the server needs to serve it.
   *
   * @throws ModelLoadException naming the file and the reason, when the file is missing, is not ONNX,
   *     does not have a servable input and output, has malformed {@code mobiserve.*} metadata, or its
   *     labels do not match its class count
   */
  public static ModelSpec load(Path onnxFile, ModelOverrides overrides) throws ModelLoadException {
    if (!Files.isRegularFile(onnxFile)) {
      throw new ModelLoadException(onnxFile, "no such file");
    }
    // Only the signature and metadata are read: no optimization, one thread.
    try (SessionOptions options = new SessionOptions()) {
      options.setOptimizationLevel(SessionOptions.OptLevel.NO_OPT);
      options.setIntraOpNumThreads(1);
      try (OrtSession session = OrtEnvironment.getEnvironment().createSession(onnxFile.toString(), options)) {
        return describe(onnxFile, session.getInputInfo(), session.getOutputInfo(),
            session.getMetadata().getCustomMetadata(), overrides);
      }
    } catch (OrtException e) {
      throw new ModelLoadException(onnxFile, "not a readable ONNX model (ONNX Runtime: " + e.getMessage() + ")", e);
    }
  }

  private static ModelSpec describe(
      Path file,
      Map<String, NodeInfo> inputs,
      Map<String, NodeInfo> outputs,
      Map<String, String> metadataProps,
      ModelOverrides overrides)
      throws ModelLoadException {
    if (inputs.size() != 1) {
      throw new ModelLoadException(file, "the model has " + inputs.size() + " inputs " + inputs.keySet()
          + "; only models with exactly one image input are supported");
    }
    NodeInfo input = inputs.values().iterator().next();
    long[] inShape = floatTensorShape(file, input, "input");
    if (inShape.length != 4) {
      throw new ModelLoadException(file, "input '" + input.getName() + "' has shape " + format(input)
          + "; only 4-D NCHW inputs [N, 3, H, W] are supported");
    }
    if (inShape[1] != 3) {
      String channels = inShape[1] > 0 ? inShape[1] + " channel" + (inShape[1] == 1 ? "" : "s") : "a dynamic channel count";
      throw new ModelLoadException(file, "input '" + input.getName() + "' " + format(input) + " has " + channels
          + "; only 3-channel NCHW inputs [N, 3, H, W] are supported");
    }
    int height = imageDim(file, input, inShape[2], overrides.inputHeight(), "height");
    int width = imageDim(file, input, inShape[3], overrides.inputWidth(), "width");
    OptionalInt fixedBatch = inShape[0] > 0 ? OptionalInt.of(Math.toIntExact(inShape[0])) : OptionalInt.empty();

    if (outputs.size() != 1) {
      throw new ModelLoadException(file, "the model has " + outputs.size() + " outputs " + outputs.keySet()
          + "; only models with exactly one output, the logits [N, classes], are supported");
    }
    NodeInfo output = outputs.values().iterator().next();
    long[] outShape = floatTensorShape(file, output, "output");
    if (outShape.length != 2) {
      throw new ModelLoadException(file, "output '" + output.getName() + "' has shape " + format(output)
          + "; only 2-D logits [N, classes] are supported");
    }
    if (outShape[1] < 1) {
      throw new ModelLoadException(file, "output '" + output.getName() + "' " + format(output)
          + " has a dynamic class count; it must be fixed");
    }
    int classes = Math.toIntExact(outShape[1]);

    ModelMetadata metadata;
    try {
      metadata = ModelMetadata.parse(metadataProps);
    } catch (IllegalArgumentException e) {
      throw new ModelLoadException(file, "malformed metadata: " + e.getMessage(), e);
    }
    InputShape shape = new InputShape(3, height, width);
    List<String> notes = new ArrayList<>();
    Labels labels = labels(file, overrides, metadata, classes, notes);
    fixedBatch.ifPresent(b -> notes.add(b == 1
        ? "The model's batch size is fixed at 1: it runs one image at a time."
        : "The model's batch size is fixed at " + b + ": smaller batches are padded to " + b + " images."));

    return new ModelSpec(
        firstNonNull(overrides.name(), defaultName(file)),
        firstNonNull(metadata.architecture(),
            "ONNX image classifier (" + height + "x" + width + ", " + classes + " classes)"),
        file,
        input.getName(),
        shape,
        classes,
        labels,
        preprocessing(shape, overrides, metadata),
        firstNonNull(metadata.trained(), true),
        String.join(" ", notes),
        fixedBatch);
  }

  /** The tensor's shape, after checking that it is a float32 tensor. Dynamic dimensions are -1 or 0. */
  private static long[] floatTensorShape(Path file, NodeInfo node, String role) throws ModelLoadException {
    if (!(node.getInfo() instanceof TensorInfo)) {
      throw new ModelLoadException(file, role + " '" + node.getName() + "' is " + node.getInfo()
          + ", not a tensor");
    }
    TensorInfo tensor = (TensorInfo) node.getInfo();
    if (tensor.type != OnnxJavaType.FLOAT) {
      throw new ModelLoadException(file, role + " '" + node.getName() + "' is " + tensor.onnxType
          + "; only float32 " + role + "s are supported");
    }
    return tensor.getShape();
  }

  private static int imageDim(Path file, NodeInfo input, long dim, Integer override, String what)
      throws ModelLoadException {
    if (dim > 0) {
      if (override != null && override != dim) {
        throw new ModelLoadException(file, "input '" + input.getName() + "' " + format(input) + " has a fixed "
            + what + " of " + dim + "; it cannot be overridden to " + override);
      }
      return Math.toIntExact(dim);
    }
    if (override == null) {
      throw new ModelLoadException(file, "input '" + input.getName() + "' " + format(input) + " has a dynamic "
          + what + "; give the input size explicitly");
    }
    return override;
  }

  private static Labels labels(
      Path file, ModelOverrides overrides, ModelMetadata metadata, int classes, List<String> notes)
      throws ModelLoadException {
    if (overrides.labelsFile() != null) {
      Path labelsFile = overrides.labelsFile();
      Labels labels;
      try {
        labels = Labels.parse(Files.readString(labelsFile, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new ModelLoadException(file, "cannot read the labels file " + labelsFile + ": " + e, e);
      } catch (IllegalArgumentException e) {
        throw new ModelLoadException(file, "labels file " + labelsFile + ": " + e.getMessage(), e);
      }
      return requireCount(file, labels, classes, "the labels file " + labelsFile);
    }
    if (metadata.labels() != null) {
      return requireCount(file, metadata.labels(), classes, "the metadata " + MetadataKeys.LABELS);
    }
    if (classes == 1000) {
      notes.add("The model has no labels; ImageNet-1k class names are assumed for its 1000 classes.");
      return Labels.imagenet1k();
    }
    return Labels.none();
  }

  private static Labels requireCount(Path file, Labels labels, int classes, String source)
      throws ModelLoadException {
    if (labels.size() != classes) {
      throw new ModelLoadException(file, source + " has " + labels.size() + " labels but the model has "
          + classes + " classes");
    }
    return labels;
  }

  private static Preprocessing preprocessing(InputShape shape, ModelOverrides overrides, ModelMetadata metadata) {
    Preprocessing defaults = Preprocessing.torchvisionDefaults(shape);
    return new Preprocessing(
        firstNonNull(overrides.resize(), metadata.resize(), defaults.resizeShortSide()),
        firstNonNull(overrides.mean(), metadata.mean(), defaults.mean()),
        firstNonNull(overrides.std(), metadata.std(), defaults.std()),
        firstNonNull(overrides.channelOrder(), metadata.channelOrder(), defaults.channelOrder()));
  }

  private static String defaultName(Path file) {
    String name = file.getFileName().toString();
    return name.regionMatches(true, name.length() - 5, ".onnx", 0, 5) && name.length() > 5
        ? name.substring(0, name.length() - 5)
        : name;
  }

  /** The shape for messages, with dynamic dimensions by name: {@code [batch, 3, 224, 224]}. */
  private static String format(NodeInfo node) {
    TensorInfo tensor = (TensorInfo) node.getInfo();
    long[] shape = tensor.getShape();
    String[] names = tensor.getDimensionNames();
    List<String> dims = new ArrayList<>(shape.length);
    for (int i = 0; i < shape.length; i++) {
      boolean named = names != null && i < names.length && names[i] != null && !names[i].isEmpty();
      dims.add(shape[i] > 0 ? Long.toString(shape[i]) : named ? names[i] : "?");
    }
    return dims.toString();
  }

  @SafeVarargs
  private static <T> T firstNonNull(T... candidates) {
    for (T candidate : candidates) {
      if (candidate != null) {
        return candidate;
      }
    }
    throw new IllegalStateException("no default given");
  }
}
