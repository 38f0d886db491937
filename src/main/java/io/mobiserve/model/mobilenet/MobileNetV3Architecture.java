package io.mobiserve.model.mobilenet;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The layer list of one MobileNetV3 configuration, with every channel count resolved: the paper's
 * Tables 1 (Large) and 2 (Small) as torchvision's {@code _mobilenet_v3_conf} states them, scaled by the
 * width multiplier.
 *
 * <p>The network: a 3×3 stride-2 stem conv (16 channels) + BN + h-swish; the inverted residual
 * {@link #blocks()}; a 1×1 conv to 6 × the last block's channels + BN + h-swish; global average pool;
 * Linear to {@link #classifierHiddenChannels()} + h-swish (+ dropout, absent at inference); Linear to
 * the classes.
 *
 * <p>Immutable. The counts here come from the description alone, not from any generated ONNX, so tests
 * can compare the two.
 */
public final class MobileNetV3Architecture {

  /** The nonlinearity of a block, "RE" or "HS" in the paper's tables. */
  public enum Activation {
    RELU,
    HARDSWISH
  }

  /**
   * One inverted residual block ("bneck"): optional 1×1 expansion, k×k depthwise conv with the block's
   * stride, optional squeeze-and-excite, 1×1 linear projection, and a residual add when the shapes allow.
   *
   * @param squeezeChannels the squeeze-and-excite bottleneck width; 0 when the block has none
   */
  public record Block(
      int inputChannels,
      int kernel,
      int expandedChannels,
      int outputChannels,
      int squeezeChannels,
      Activation activation,
      int stride) {

    /** torchvision skips the expansion conv when it would not change the channel count. */
    public boolean hasExpansion() {
      return expandedChannels != inputChannels;
    }

    public boolean hasSqueezeExcite() {
      return squeezeChannels > 0;
    }

    /** The input is added to the output when the block keeps both resolution and channel count. */
    public boolean hasResidual() {
      return stride == 1 && inputChannels == outputChannels;
    }

    /** Same-size padding for an odd kernel, (k - 1) / 2 on every side. */
    public int padding() {
      return (kernel - 1) / 2;
    }
  }

  /** A row of the paper's table before width scaling: in, kernel, expanded, out, SE, activation, stride. */
  private record Row(int in, int kernel, int expanded, int out, boolean se, Activation activation, int stride) {}

  private static final Activation RE = Activation.RELU;
  private static final Activation HS = Activation.HARDSWISH;

  private static final List<Row> LARGE = List.of(
      new Row(16, 3, 16, 16, false, RE, 1),
      new Row(16, 3, 64, 24, false, RE, 2),
      new Row(24, 3, 72, 24, false, RE, 1),
      new Row(24, 5, 72, 40, true, RE, 2),
      new Row(40, 5, 120, 40, true, RE, 1),
      new Row(40, 5, 120, 40, true, RE, 1),
      new Row(40, 3, 240, 80, false, HS, 2),
      new Row(80, 3, 200, 80, false, HS, 1),
      new Row(80, 3, 184, 80, false, HS, 1),
      new Row(80, 3, 184, 80, false, HS, 1),
      new Row(80, 3, 480, 112, true, HS, 1),
      new Row(112, 3, 672, 112, true, HS, 1),
      new Row(112, 5, 672, 160, true, HS, 2),
      new Row(160, 5, 960, 160, true, HS, 1),
      new Row(160, 5, 960, 160, true, HS, 1));

  private static final List<Row> SMALL = List.of(
      new Row(16, 3, 16, 16, true, RE, 2),
      new Row(16, 3, 72, 24, false, RE, 2),
      new Row(24, 3, 88, 24, false, RE, 1),
      new Row(24, 5, 96, 40, true, HS, 2),
      new Row(40, 5, 240, 40, true, HS, 1),
      new Row(40, 5, 240, 40, true, HS, 1),
      new Row(40, 5, 120, 48, true, HS, 1),
      new Row(48, 5, 144, 48, true, HS, 1),
      new Row(48, 5, 288, 96, true, HS, 2),
      new Row(96, 5, 576, 96, true, HS, 1),
      new Row(96, 5, 576, 96, true, HS, 1));

  private static final int STEM_KERNEL = 3;
  private static final int LAST_CONV_EXPANSION = 6;
  private static final int SQUEEZE_FACTOR = 4;
  private static final int CHANNEL_DIVISOR = 8;

  private final MobileNetV3Config config;
  private final List<Block> blocks;
  private final int classifierHiddenChannels;

  private MobileNetV3Architecture(MobileNetV3Config config, List<Block> blocks, int classifierHiddenChannels) {
    this.config = config;
    this.blocks = List.copyOf(blocks);
    this.classifierHiddenChannels = classifierHiddenChannels;
  }

  /** The architecture {@code config} describes. */
  public static MobileNetV3Architecture of(MobileNetV3Config config) {
    Objects.requireNonNull(config, "config");
    double width = config.width();
    List<Row> rows = config.variant() == MobileNetV3Config.Variant.LARGE ? LARGE : SMALL;
    List<Block> blocks = new ArrayList<>(rows.size());
    for (Row row : rows) {
      int expanded = scaled(row.expanded(), width);
      // torchvision: _make_divisible(expanded // 4, 8), an integer division before rounding.
      int squeeze = row.se() ? makeDivisible(expanded / SQUEEZE_FACTOR, CHANNEL_DIVISOR) : 0;
      blocks.add(new Block(
          scaled(row.in(), width), row.kernel(), expanded, scaled(row.out(), width),
          squeeze, row.activation(), row.stride()));
    }
    // torchvision scales the classifier's hidden width for every α (adjust_channels(1280)), not only α > 1.
    int hidden = scaled(config.variant() == MobileNetV3Config.Variant.LARGE ? 1280 : 1024, width);
    return new MobileNetV3Architecture(config, blocks, hidden);
  }

  public MobileNetV3Config config() {
    return config;
  }

  /** Output channels of the stem conv: the first block's input channels (16 × α, rounded). */
  public int stemChannels() {
    return blocks.get(0).inputChannels();
  }

  public int stemKernel() {
    return STEM_KERNEL;
  }

  /** The inverted residual blocks, in order. */
  public List<Block> blocks() {
    return blocks;
  }

  /** Output channels of the 1×1 conv after the blocks: 6 × the last block's output channels. */
  public int lastConvChannels() {
    return LAST_CONV_EXPANSION * blocks.get(blocks.size() - 1).outputChannels();
  }

  /** Width of the classifier's hidden Linear layer: 1280 (Large) or 1024 (Small) × α, rounded. */
  public int classifierHiddenChannels() {
    return classifierHiddenChannels;
  }

  public int classes() {
    return config.classes();
  }

  /**
   * Learnable parameters of the unfolded network, counted the way PyTorch does: conv weights (the
   * BN-followed convs have no bias), BN weight and bias (running statistics are buffers, not
   * parameters), SE conv weights and biases, Linear weights and biases.
   */
  public long parameterCount() {
    long count = convBn(3, stemChannels(), STEM_KERNEL, 1);
    for (Block block : blocks) {
      if (block.hasExpansion()) {
        count += convBn(block.inputChannels(), block.expandedChannels(), 1, 1);
      }
      count += convBn(block.expandedChannels(), block.expandedChannels(), block.kernel(), block.expandedChannels());
      if (block.hasSqueezeExcite()) {
        count += linear(block.expandedChannels(), block.squeezeChannels());
        count += linear(block.squeezeChannels(), block.expandedChannels());
      }
      count += convBn(block.expandedChannels(), block.outputChannels(), 1, 1);
    }
    int lastBlockOut = blocks.get(blocks.size() - 1).outputChannels();
    count += convBn(lastBlockOut, lastConvChannels(), 1, 1);
    count += linear(lastConvChannels(), classifierHiddenChannels);
    count += linear(classifierHiddenChannels, classes());
    return count;
  }

  /** The number of depthwise convolutions: one per block. */
  public int depthwiseConvCount() {
    return blocks.size();
  }

  /** The number of blocks with squeeze-and-excite. */
  public int seBlockCount() {
    return (int) blocks.stream().filter(Block::hasSqueezeExcite).count();
  }

  /** torchvision's {@code _make_divisible}: round to the nearest multiple, at least the divisor, never below 90%. */
  static int makeDivisible(double value, int divisor) {
    int rounded = Math.max(divisor, (int) (value + divisor / 2.0) / divisor * divisor);
    if (rounded < 0.9 * value) {
      rounded += divisor;
    }
    return rounded;
  }

  private static int scaled(int channels, double width) {
    return makeDivisible(channels * width, CHANNEL_DIVISOR);
  }

  /** A conv without bias followed by BN (weight + bias per output channel). */
  private static long convBn(int in, int out, int kernel, int groups) {
    return (long) out * (in / groups) * kernel * kernel + 2L * out;
  }

  /** A Linear layer, or a 1×1 conv with bias: weight and bias. */
  private static long linear(int in, int out) {
    return (long) in * out + out;
  }

  @Override
  public String toString() {
    return config.description() + ", " + parameterCount() + " parameters";
  }
}
