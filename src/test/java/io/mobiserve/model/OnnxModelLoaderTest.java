package io.mobiserve.model;

import static io.mobiserve.model.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelLoaderTest {

  @TempDir Path tmp;

  @Test
  void load_describesModelWithoutMetadataWithTorchvisionDefaults() throws Exception {
    Path file = model("valid-1000");

    ModelSpec spec = OnnxModelLoader.load(file, ModelOverrides.none());

    assertThat(spec.name()).isEqualTo("valid-1000");
    assertThat(spec.onnxFile()).isEqualTo(file);
    assertThat(spec.inputName()).isEqualTo("input");
    assertThat(spec.input()).isEqualTo(new InputShape(3, 32, 32));
    assertThat(spec.classes()).isEqualTo(1000);
    assertThat(spec.architecture()).isEqualTo("ONNX image classifier (32x32, 1000 classes)");
    assertThat(spec.trained()).isTrue();
    assertThat(spec.fixedBatch()).isEmpty();
    Preprocessing defaults = Preprocessing.torchvisionDefaults(spec.input());
    assertThat(spec.preprocessing().resizeShortSide()).isEqualTo(defaults.resizeShortSide()).isEqualTo(37);
    assertThat(spec.preprocessing().mean()).containsExactly(Preprocessing.IMAGENET_MEAN);
    assertThat(spec.preprocessing().std()).containsExactly(Preprocessing.IMAGENET_STD);
    assertThat(spec.preprocessing().channelOrder()).isEqualTo(ChannelOrder.RGB);
  }

  @Test
  void load_givesImageNetNamesTo1000ClassModelWithoutLabels() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());

    assertThat(spec.labels().size()).isEqualTo(1000);
    assertThat(spec.labels().name(0)).isEqualTo("tench");
    assertThat(spec.labels().name(1)).isEqualTo("goldfish");
    assertThat(spec.labels().name(207)).isEqualTo("golden retriever");
    assertThat(spec.notes()).contains("ImageNet-1k");
  }

  @Test
  void load_leavesOtherModelsWithoutLabelsUnlabelled() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-2"), ModelOverrides.none());

    assertThat(spec.classes()).isEqualTo(10);
    assertThat(spec.labels().isPresent()).isFalse();
  }

  @Test
  void load_readsMetadata() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("valid-4-metadata"), ModelOverrides.none());

    assertThat(spec.preprocessing().resizeShortSide()).isEqualTo(40);
    assertThat(spec.preprocessing().mean()).containsExactly(0.5f, 0.5f, 0.5f);
    assertThat(spec.preprocessing().std()).containsExactly(0.25f, 0.25f, 0.25f);
    assertThat(spec.preprocessing().channelOrder()).isEqualTo(ChannelOrder.BGR);
    assertThat(spec.labels().asList()).containsExactly("cat", "dog", "bird", "fish");
    assertThat(spec.architecture()).isEqualTo("Tiny test classifier");
    assertThat(spec.trained()).isFalse();
  }

  @Test
  void load_overridesWinOverMetadata() throws Exception {
    Path labels = Files.writeString(tmp.resolve("labels.txt"), "w\nx\ny\nz\n\n");
    ModelOverrides overrides = ModelOverrides.none()
        .withName("tiny")
        .withResize(50)
        .withNormalization(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0.4f, 0.5f, 0.6f})
        .withChannelOrder(ChannelOrder.RGB)
        .withLabelsFile(labels);

    ModelSpec spec = OnnxModelLoader.load(model("valid-4-metadata"), overrides);

    assertThat(spec.name()).isEqualTo("tiny");
    assertThat(spec.preprocessing().resizeShortSide()).isEqualTo(50);
    assertThat(spec.preprocessing().mean()).containsExactly(0.1f, 0.2f, 0.3f);
    assertThat(spec.preprocessing().std()).containsExactly(0.4f, 0.5f, 0.6f);
    assertThat(spec.preprocessing().channelOrder()).isEqualTo(ChannelOrder.RGB);
    assertThat(spec.labels().asList()).containsExactly("w", "x", "y", "z");
    assertThat(spec.architecture()).isEqualTo("Tiny test classifier");
  }

  @Test
  void load_refusesLabelsFileWithWrongCount() throws IOException {
    Path labels = Files.writeString(tmp.resolve("labels.txt"), "w\nx\ny\n");

    assertRefused("valid-4-metadata", ModelOverrides.none().withLabelsFile(labels))
        .hasMessageContaining("labels.txt")
        .hasMessageContaining("3 labels")
        .hasMessageContaining("4 classes");
  }

  @Test
  void load_refusesMissingLabelsFile() {
    assertRefused("valid-4-metadata", ModelOverrides.none().withLabelsFile(tmp.resolve("nope.txt")))
        .hasMessageContaining("nope.txt");
  }

  @Test
  void load_reportsFixedBatch() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("fixed-batch-1"), ModelOverrides.none());

    assertThat(spec.fixedBatch()).isEqualTo(OptionalInt.of(1));
    assertThat(spec.notes()).contains("fixed at 1");
  }

  @Test
  void load_acceptsDynamicHeightAndWidthWithOverride() throws Exception {
    ModelSpec spec = OnnxModelLoader.load(model("dynamic-hw"), ModelOverrides.none().withInputSize(48, 40));

    assertThat(spec.input()).isEqualTo(new InputShape(3, 48, 40));
    assertThat(spec.preprocessing().resizeShortSide()).isEqualTo(46); // 40 * 256 / 224
  }

  @Test
  void load_refusesDynamicHeightAndWidthWithoutOverride() {
    assertRefused("dynamic-hw", ModelOverrides.none()).hasMessageContaining("dynamic height");
  }

  @Test
  void load_refusesOverrideThatContradictsFixedSize() {
    assertRefused("valid-1000", ModelOverrides.none().withInputSize(64, 64))
        .hasMessageContaining("fixed height of 32");
  }

  @Test
  void load_refusesMissingFile() {
    Path file = tmp.resolve("absent.onnx");

    assertThatThrownBy(() -> OnnxModelLoader.load(file, ModelOverrides.none()))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("no such file");
  }

  @Test
  void load_refusesFileThatIsNotOnnx() {
    assertRefused("not-onnx", ModelOverrides.none()).hasMessageContaining("not a readable ONNX model");
  }

  @Test
  void load_refusesTwoInputs() {
    assertRefused("two-inputs", ModelOverrides.none()).hasMessageContaining("2 inputs");
  }

  @Test
  void load_refusesIntegerInput() {
    assertRefused("int-input", ModelOverrides.none()).hasMessageContaining("UINT8").hasMessageContaining("float32");
  }

  @Test
  void load_refuses3dInput() {
    assertRefused("input-3d", ModelOverrides.none()).hasMessageContaining("[3, 32, 32]").hasMessageContaining("4-D");
  }

  @Test
  void load_refusesOneChannelInput() {
    assertRefused("one-channel", ModelOverrides.none()).hasMessageContaining("1 channel;");
  }

  @Test
  void load_refuses3dOutput() {
    assertRefused("output-3d", ModelOverrides.none()).hasMessageContaining("10, 1]").hasMessageContaining("2-D");
  }

  @Test
  void load_refusesTwoOutputs() {
    assertRefused("two-outputs", ModelOverrides.none()).hasMessageContaining("2 outputs");
  }

  @Test
  void load_refusesMalformedMetadataNamingTheKey() {
    assertRefused("bad-metadata-mean", ModelOverrides.none())
        .hasMessageContaining("mobiserve.preprocess.mean")
        .hasMessageContaining("0.5,zero,0.5");
  }

  @Test
  void load_readsDigitsFixtureMetadata() throws Exception {
    Path digits = TestModels.digitsOrNull();
    assumeTrue(digits != null, "the digits fixture is not in src/test/resources/digits");

    ModelSpec spec = OnnxModelLoader.load(digits.resolve("digits-mobilenetv3-small.onnx"), ModelOverrides.none());

    assertThat(spec.name()).isEqualTo("digits-mobilenetv3-small");
    assertThat(spec.inputName()).isEqualTo("input");
    assertThat(spec.input()).isEqualTo(new InputShape(3, 64, 64));
    assertThat(spec.classes()).isEqualTo(10);
    assertThat(spec.fixedBatch()).isEmpty();
    assertThat(spec.preprocessing().resizeShortSide()).isEqualTo(72);
    assertThat(spec.preprocessing().mean()).containsExactly(Preprocessing.IMAGENET_MEAN);
    assertThat(spec.preprocessing().std()).containsExactly(Preprocessing.IMAGENET_STD);
    assertThat(spec.labels().asList())
        .isEqualTo(Labels.parse(Files.readString(digits.resolve("labels.txt"))).asList())
        .hasSize(10);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRefused(String name, ModelOverrides overrides) {
    Path file = model(name);
    return assertThatThrownBy(() -> OnnxModelLoader.load(file, overrides))
        .isInstanceOf(ModelLoadException.class)
        .hasMessageStartingWith("cannot serve " + file + ": ");
  }
}
