package io.mobiserve.model.mobilenet;

import static io.mobiserve.model.mobilenet.OnnxGraph.ints;
import static io.mobiserve.model.mobilenet.OnnxGraph.integer;
import static io.mobiserve.model.mobilenet.OnnxGraph.real;

import io.mobiserve.model.MetadataKeys;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.model.mobilenet.MobileNetV3Architecture.Activation;
import io.mobiserve.model.mobilenet.MobileNetV3Architecture.Block;
import io.mobiserve.model.onnx.AttributeProto;
import io.mobiserve.model.onnx.ModelProto;
import io.mobiserve.model.onnx.OperatorSetIdProto;
import io.mobiserve.model.onnx.StringStringEntryProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;

/**
 * Generates a MobileNetV3 as an ONNX model with untrained, seeded weights.
 *
 * <p>The model: opset 17 of the default domain, IR version 8, one float32 input {@value #INPUT_NAME}
 * of shape [{@value #BATCH_DIMENSION}, 3, resolution, resolution] and one float32 output
 * {@value #OUTPUT_NAME} of shape [{@value #BATCH_DIMENSION}, classes], where the batch dimension is
 * symbolic. Weights are float32 initializers in little-endian {@code raw_data}. The metadata carries the
 * {@link MetadataKeys} a server needs to preprocess images for it.
 *
 * <p>Guarantees: the same config gives byte-identical output on every JVM; the logits are finite for
 * inputs in the normalized-image range. Stateless and thread-safe (all methods are static).
 */
public final class MobileNetV3OnnxBuilder {
  public static final String INPUT_NAME = "input";
  public static final String OUTPUT_NAME = "logits";
  public static final String BATCH_DIMENSION = "batch";
  public static final int OPSET_VERSION = 17;
  public static final int IR_VERSION = 8;
  public static final String PRODUCER_NAME = "mobiserve";
  /** torchvision builds MobileNetV3 with BatchNorm2d(eps=0.001). */
  static final float BATCH_NORM_EPSILON = 1e-3f;

  private final OnnxGraph graph;
  private final SeededWeights weights;
  private final boolean foldBatchNorm;

  private MobileNetV3OnnxBuilder(MobileNetV3Config config, boolean foldBatchNorm) {
    this.graph = new OnnxGraph(String.format(Locale.ROOT, "mobilenetv3_%s", config.variant().name().toLowerCase(Locale.ROOT)));
    this.weights = new SeededWeights(config.seed());
    this.foldBatchNorm = foldBatchNorm;
  }

  /** The model for {@code config}, batch norm folded into the convolutions: what a server should run. */
  public static ModelProto build(MobileNetV3Config config) {
    return build(config, true);
  }

  /**
   * The model for {@code config}.
   *
   * @param foldBatchNorm true to fold each batch norm into the conv before it (the conv gets a bias);
   *     false to emit BatchNormalization nodes with the same statistics. Both compute the same function up
   *     to float32 rounding: the random draws do not depend on this flag.
   */
  public static ModelProto build(MobileNetV3Config config, boolean foldBatchNorm) {
    MobileNetV3Architecture architecture = MobileNetV3Architecture.of(config);
    MobileNetV3OnnxBuilder builder = new MobileNetV3OnnxBuilder(config, foldBatchNorm);
    builder.emit(architecture);
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET_VERSION))
        .setProducerName(PRODUCER_NAME)
        .setDomain("io.mobiserve")
        .setDocString(config.description())
        .setGraph(builder.graph.build())
        .addAllMetadataProps(metadata(config))
        .build();
  }

  /**
   * Generates the folded model for {@code config} and writes it to {@code file} atomically: the bytes go
   * to a temporary file in the same directory, are flushed to disk, and the temporary file is renamed
   * over {@code file}. A reader sees either no file, the old file, or the whole new one.
   */
  public static void writeTo(MobileNetV3Config config, Path file) throws IOException {
    writeAtomically(file, build(config).toByteArray());
  }

  static void writeAtomically(Path file, byte[] bytes) throws IOException {
    Path absolute = file.toAbsolutePath();
    Path directory = absolute.getParent();
    Files.createDirectories(directory);
    Path temporary = Files.createTempFile(directory, "." + absolute.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
        channel.force(true); // the rename must not become visible before the data does
      }
      Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  private static List<StringStringEntryProto> metadata(MobileNetV3Config config) {
    Preprocessing preprocessing = config.preprocessing();
    return List.of(
        entry(MetadataKeys.ARCHITECTURE, config.description()),
        entry(MetadataKeys.PREPROCESS_RESIZE, Integer.toString(preprocessing.resizeShortSide())),
        entry(MetadataKeys.PREPROCESS_MEAN, "0.485,0.456,0.406"),
        entry(MetadataKeys.PREPROCESS_STD, "0.229,0.224,0.225"),
        entry(MetadataKeys.PREPROCESS_CHANNEL_ORDER, preprocessing.channelOrder().name()),
        entry(MetadataKeys.TRAINED, "false"),
        entry(MetadataKeys.SEED, Long.toString(config.seed())));
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private void emit(MobileNetV3Architecture architecture) {
    int resolution = architecture.config().resolution();
    graph.input(INPUT_NAME, BATCH_DIMENSION, 3L, (long) resolution, (long) resolution);

    String x = convBn("stem", INPUT_NAME, 3, architecture.stemChannels(), architecture.stemKernel(), 2, 1,
        Activation.HARDSWISH);
    List<Block> blocks = architecture.blocks();
    for (int i = 0; i < blocks.size(); i++) {
      x = invertedResidual("block" + i, x, blocks.get(i));
    }
    int lastBlockOut = blocks.get(blocks.size() - 1).outputChannels();
    x = convBn("head", x, lastBlockOut, architecture.lastConvChannels(), 1, 1, 1, Activation.HARDSWISH);
    x = graph.node("GlobalAveragePool", "head.pool", List.of(x));
    x = graph.node("Flatten", "head.flatten", List.of(x), integer("axis", 1));
    int hidden = architecture.classifierHiddenChannels();
    x = linear("classifier.fc1", x, architecture.lastConvChannels(), hidden, 2.0, null);
    x = graph.node("HardSwish", "classifier.hardswish", List.of(x));
    // Dropout is the identity at inference, so it is not emitted. Gain 1: nothing follows the logits.
    linear("classifier.fc2", x, hidden, architecture.classes(), 1.0, OUTPUT_NAME);
    graph.output(OUTPUT_NAME, BATCH_DIMENSION, (long) architecture.classes());
  }

  private String invertedResidual(String name, String input, Block block) {
    String x = input;
    if (block.hasExpansion()) {
      x = convBn(name + ".expand", x, block.inputChannels(), block.expandedChannels(), 1, 1, 1, block.activation());
    }
    x = convBn(name + ".depthwise", x, block.expandedChannels(), block.expandedChannels(), block.kernel(),
        block.stride(), block.expandedChannels(), block.activation());
    if (block.hasSqueezeExcite()) {
      x = squeezeExcite(name + ".se", x, block.expandedChannels(), block.squeezeChannels());
    }
    x = convBn(name + ".project", x, block.expandedChannels(), block.outputChannels(), 1, 1, 1, null);
    if (block.hasResidual()) {
      x = graph.node("Add", name + ".add", List.of(x, input));
    }
    return x;
  }

  /**
   * Conv (no bias) + BatchNorm + optional activation, the torchvision Conv2dNormActivation. Weights and
   * statistics are drawn in the same order whether or not the norm is folded, so both forms match.
   */
  private String convBn(String name, String input, int in, int out, int kernel, int stride, int groups,
      Activation activation) {
    int fanIn = in / groups * kernel * kernel;
    // Gain 2 where a ReLU-like nonlinearity follows, 1 for the linear projection, so activations
    // neither explode nor vanish through the 15 blocks.
    float[] weight = weights.heNormal(out * fanIn, fanIn, activation == null ? 1.0 : 2.0);
    float[] gamma = weights.uniform(out, 0.5, 1.5);
    float[] beta = weights.normal(out, 0, 0.1);
    float[] mean = weights.normal(out, 0, 0.1);
    float[] variance = weights.uniform(out, 0.5, 1.5);

    AttributeProto[] convAttributes = {
        ints("kernel_shape", kernel, kernel),
        ints("strides", stride, stride),
        ints("pads", (kernel - 1) / 2, (kernel - 1) / 2, (kernel - 1) / 2, (kernel - 1) / 2),
        integer("group", groups)
    };
    long[] weightShape = {out, in / groups, kernel, kernel};
    String x;
    if (foldBatchNorm) {
      // BN(conv(x)) = s * (W x - mean) + beta with s = gamma / sqrt(var + eps): scale W's rows by s,
      // and the bias is beta - s * mean. Computed in double, rounded once to float.
      float[] foldedWeight = new float[weight.length];
      float[] foldedBias = new float[out];
      for (int o = 0; o < out; o++) {
        double scale = gamma[o] / Math.sqrt((double) variance[o] + BATCH_NORM_EPSILON);
        for (int j = 0; j < fanIn; j++) {
          foldedWeight[o * fanIn + j] = (float) (weight[o * fanIn + j] * scale);
        }
        foldedBias[o] = (float) (beta[o] - scale * mean[o]);
      }
      String w = graph.initializer(name + ".weight", foldedWeight, weightShape);
      String b = graph.initializer(name + ".bias", foldedBias, out);
      x = graph.node("Conv", name + ".conv", List.of(input, w, b), convAttributes);
    } else {
      String w = graph.initializer(name + ".weight", weight, weightShape);
      x = graph.node("Conv", name + ".conv", List.of(input, w), convAttributes);
      x = graph.node("BatchNormalization", name + ".bn", List.of(x,
              graph.initializer(name + ".bn.scale", gamma, out),
              graph.initializer(name + ".bn.bias", beta, out),
              graph.initializer(name + ".bn.mean", mean, out),
              graph.initializer(name + ".bn.var", variance, out)),
          real("epsilon", BATCH_NORM_EPSILON));
    }
    return activation == null ? x : activate(name, x, activation);
  }

  private String activate(String name, String input, Activation activation) {
    return switch (activation) {
      case RELU -> graph.node("Relu", name + ".relu", List.of(input));
      case HARDSWISH -> graph.node("HardSwish", name + ".hardswish", List.of(input));
    };
  }

  /**
   * Squeeze-and-excite: global average pool, 1×1 conv (bias) to {@code squeeze} channels, ReLU, 1×1 conv
   * (bias) back, hard-sigmoid gate, channel-wise multiply with the input.
   */
  private String squeezeExcite(String name, String input, int channels, int squeeze) {
    String x = graph.node("GlobalAveragePool", name + ".pool", List.of(input));
    x = pointwiseWithBias(name + ".fc1", x, channels, squeeze);
    x = graph.node("Relu", name + ".relu", List.of(x));
    x = pointwiseWithBias(name + ".fc2", x, squeeze, channels);
    // PyTorch's Hardsigmoid is relu6(x + 3) / 6, i.e. ONNX HardSigmoid with alpha 1/6 and beta 0.5.
    x = graph.node("HardSigmoid", name + ".gate", List.of(x), real("alpha", 1f / 6), real("beta", 0.5f));
    return graph.node("Mul", name + ".scale", List.of(input, x));
  }

  private String pointwiseWithBias(String name, String input, int in, int out) {
    String w = graph.initializer(name + ".weight", weights.heNormal(out * in, in, 2.0), out, in, 1, 1);
    String b = graph.initializer(name + ".bias", weights.normal(out, 0, 0.1), out);
    return graph.node("Conv", name, List.of(input, w, b), ints("kernel_shape", 1, 1));
  }

  /** A Linear layer as Gemm(x, W, b) with W stored [out, in] like PyTorch, hence transB = 1. */
  private String linear(String name, String input, int in, int out, double gain, String outputName) {
    String w = graph.initializer(name + ".weight", weights.heNormal(out * in, in, gain), out, in);
    String b = graph.initializer(name + ".bias", weights.normal(out, 0, 0.01), out);
    List<String> inputs = List.of(input, w, b);
    if (outputName == null) {
      return graph.node("Gemm", name, inputs, integer("transB", 1));
    }
    graph.nodeWithOutput("Gemm", name, outputName, inputs, integer("transB", 1));
    return outputName;
  }
}
