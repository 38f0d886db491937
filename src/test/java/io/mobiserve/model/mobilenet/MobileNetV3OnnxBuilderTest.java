package io.mobiserve.model.mobilenet;

import static io.mobiserve.model.mobilenet.GeneratedModels.LARGE;
import static io.mobiserve.model.mobilenet.GeneratedModels.SMALL;
import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.model.MetadataKeys;
import io.mobiserve.model.onnx.AttributeProto;
import io.mobiserve.model.onnx.GraphProto;
import io.mobiserve.model.onnx.ModelProto;
import io.mobiserve.model.onnx.NodeProto;
import io.mobiserve.model.onnx.StringStringEntryProto;
import io.mobiserve.model.onnx.TensorProto;
import io.mobiserve.model.onnx.TensorShapeProto;
import io.mobiserve.model.onnx.ValueInfoProto;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Reads the generated graph back as ONNX and checks it against the architecture, without running it. */
class MobileNetV3OnnxBuilderTest {

  @Test
  void large_graphHasFifteenDepthwiseConvsAndEightSeBlocks() {
    GraphProto graph = GeneratedModels.model(LARGE, true).getGraph();
    assertThat(depthwiseConvs(graph)).isEqualTo(15);
    assertThat(seGates(graph)).isEqualTo(8);
  }

  @Test
  void small_graphHasElevenDepthwiseConvsAndNineSeBlocks() {
    GraphProto graph = GeneratedModels.model(SMALL, true).getGraph();
    assertThat(depthwiseConvs(graph)).isEqualTo(11);
    assertThat(seGates(graph)).isEqualTo(9);
  }

  @Test
  void model_declaresOpset17IrVersion8AndProducer() {
    ModelProto model = GeneratedModels.model(SMALL, true);
    assertThat(model.getIrVersion()).isEqualTo(8);
    assertThat(model.getOpsetImportList()).singleElement().satisfies(opset -> {
      assertThat(opset.getDomain()).isEmpty();
      assertThat(opset.getVersion()).isEqualTo(17);
    });
    assertThat(model.getProducerName()).isEqualTo("mobiserve");
    assertThat(model.getGraph().getNodeList()).allSatisfy(node -> assertThat(node.getDomain()).isEmpty());
  }

  @Test
  void inputAndOutput_haveSymbolicBatchDimension() {
    GraphProto graph = GeneratedModels.model(LARGE, true).getGraph();
    assertThat(graph.getInputList()).singleElement().satisfies(input -> {
      assertThat(input.getName()).isEqualTo("input");
      assertThat(dims(input)).containsExactly("batch", "3", "224", "224");
    });
    assertThat(graph.getOutputList()).singleElement().satisfies(output -> {
      assertThat(output.getName()).isEqualTo("logits");
      assertThat(dims(output)).containsExactly("batch", "1000");
    });
  }

  @Test
  void customConfig_declaresItsResolutionAndClasses() {
    ModelProto model = MobileNetV3OnnxBuilder.build(SMALL.withWidth(0.75).withResolution(160).withClasses(10));
    assertThat(dims(model.getGraph().getInput(0))).containsExactly("batch", "3", "160", "160");
    assertThat(dims(model.getGraph().getOutput(0))).containsExactly("batch", "10");
    assertThat(metadata(model)).containsEntry(MetadataKeys.PREPROCESS_RESIZE, "183");
  }

  @Test
  void metadata_describesPreprocessingAndProvenance() {
    assertThat(metadata(GeneratedModels.model(LARGE, true))).containsExactlyInAnyOrderEntriesOf(Map.of(
        MetadataKeys.ARCHITECTURE, "MobileNetV3-Large (width 1.0, 224x224, 1000 classes, untrained seeded weights)",
        MetadataKeys.PREPROCESS_RESIZE, "256",
        MetadataKeys.PREPROCESS_MEAN, "0.485,0.456,0.406",
        MetadataKeys.PREPROCESS_STD, "0.229,0.224,0.225",
        MetadataKeys.PREPROCESS_CHANNEL_ORDER, "RGB",
        MetadataKeys.TRAINED, "false",
        MetadataKeys.SEED, "7"));
  }

  @Test
  void initializers_areLittleEndianFloat32RawData() {
    for (TensorProto tensor : GeneratedModels.model(SMALL, true).getGraph().getInitializerList()) {
      assertThat(tensor.getDataType()).as(tensor.getName()).isEqualTo(TensorProto.DataType.FLOAT_VALUE);
      assertThat(tensor.getFloatDataCount()).as(tensor.getName()).isZero();
      assertThat((long) tensor.getRawData().size()).as(tensor.getName()).isEqualTo(4 * elements(tensor));
    }
    // The stem's first weight, decoded both ways: little-endian gives a He-normal-sized value.
    TensorProto stem = GeneratedModels.model(SMALL, true).getGraph().getInitializer(0);
    float littleEndian = stem.getRawData().asReadOnlyByteBuffer().order(java.nio.ByteOrder.LITTLE_ENDIAN).getFloat();
    assertThat(Math.abs(littleEndian)).isBetween(1e-6f, 10f);
  }

  @Test
  void unfoldedInitializers_matchTheArchitecturesParameterCount() {
    // Unfolded, the initializers are exactly PyTorch's parameters plus the BN running statistics.
    for (MobileNetV3Config config : new MobileNetV3Config[] {LARGE, SMALL}) {
      long parameters = GeneratedModels.model(config, false).getGraph().getInitializerList().stream()
          .filter(t -> !t.getName().endsWith(".bn.mean") && !t.getName().endsWith(".bn.var"))
          .mapToLong(MobileNetV3OnnxBuilderTest::elements)
          .sum();
      assertThat(parameters).as(config.description()).isEqualTo(MobileNetV3Architecture.of(config).parameterCount());
    }
  }

  @Test
  void folding_replacesEveryBatchNormalizationWithAConvBias() {
    GraphProto folded = GeneratedModels.model(SMALL, true).getGraph();
    GraphProto unfolded = GeneratedModels.model(SMALL, false).getGraph();
    assertThat(count(folded, "BatchNormalization")).isZero();
    assertThat(count(unfolded, "BatchNormalization")).isPositive();
    assertThat(count(folded, "Conv")).isEqualTo(count(unfolded, "Conv"));
    assertThat(folded.getNodeList()).filteredOn(n -> n.getOpType().equals("Conv"))
        .allSatisfy(conv -> assertThat(conv.getInputCount()).isEqualTo(3));
  }

  @Test
  void sameSeed_givesIdenticalBytes() {
    byte[] first = MobileNetV3OnnxBuilder.build(SMALL).toByteArray();
    byte[] second = MobileNetV3OnnxBuilder.build(MobileNetV3Config.small(SMALL.seed())).toByteArray();
    assertThat(second).isEqualTo(first);
  }

  @Test
  void differentSeed_givesDifferentWeights() {
    byte[] first = GeneratedModels.bytes(SMALL, true);
    byte[] other = MobileNetV3OnnxBuilder.build(SMALL.withSeed(SMALL.seed() + 1)).toByteArray();
    assertThat(other).isNotEqualTo(first);
    GraphProto a = GeneratedModels.model(SMALL, true).getGraph();
    GraphProto b = MobileNetV3OnnxBuilder.build(SMALL.withSeed(SMALL.seed() + 1)).getGraph();
    assertThat(b.getInitializer(0).getRawData()).isNotEqualTo(a.getInitializer(0).getRawData());
  }

  /** Convs whose group count equals their input channels (weight shape [C, 1, k, k] with group = C). */
  private static int depthwiseConvs(GraphProto graph) {
    Map<String, TensorProto> initializers = graph.getInitializerList().stream()
        .collect(Collectors.toMap(TensorProto::getName, Function.identity()));
    int count = 0;
    for (NodeProto node : graph.getNodeList()) {
      if (!node.getOpType().equals("Conv")) {
        continue;
      }
      long group = node.getAttributeList().stream().filter(a -> a.getName().equals("group"))
          .mapToLong(AttributeProto::getI).findFirst().orElse(1);
      TensorProto weight = initializers.get(node.getInput(1));
      if (group > 1 && weight.getDims(1) == 1 && weight.getDims(0) == group) {
        count++;
      }
    }
    return count;
  }

  /** SE blocks, found by shape: a Mul with one input produced by a HardSigmoid. */
  private static int seGates(GraphProto graph) {
    Set<String> hardSigmoidOutputs = graph.getNodeList().stream()
        .filter(n -> n.getOpType().equals("HardSigmoid"))
        .map(n -> n.getOutput(0))
        .collect(Collectors.toSet());
    return (int) graph.getNodeList().stream()
        .filter(n -> n.getOpType().equals("Mul"))
        .filter(n -> n.getInputList().stream().anyMatch(hardSigmoidOutputs::contains))
        .count();
  }

  private static long count(GraphProto graph, String opType) {
    return graph.getNodeList().stream().filter(n -> n.getOpType().equals(opType)).count();
  }

  private static long elements(TensorProto tensor) {
    return tensor.getDimsList().stream().mapToLong(Long::longValue).reduce(1, Math::multiplyExact);
  }

  private static java.util.List<String> dims(ValueInfoProto value) {
    return value.getType().getTensorType().getShape().getDimList().stream()
        .map(d -> d.getValueCase() == TensorShapeProto.Dimension.ValueCase.DIM_PARAM
            ? d.getDimParam() : Long.toString(d.getDimValue()))
        .toList();
  }

  private static Map<String, String> metadata(ModelProto model) {
    return model.getMetadataPropsList().stream()
        .collect(Collectors.toMap(StringStringEntryProto::getKey, StringStringEntryProto::getValue));
  }
}
