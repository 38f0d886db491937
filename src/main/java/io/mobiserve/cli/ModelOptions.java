package io.mobiserve.cli;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.ModelLoadException;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.mobilenet.BuiltinModelFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Which model to serve and how to preprocess for it: {@code --model}, {@code --labels} and overrides. */
final class ModelOptions {
  static final String UNTRAINED_NOTE = "the built-in MobileNetV3-Large has untrained (seeded random) weights: "
      + "use it to try the service and measure its speed; for real predictions serve a trained model with "
      + "--model FILE.onnx";

  @Option(names = "--model", paramLabel = "FILE", description = "An ONNX image classifier (default: the built-in MobileNetV3-Large, untrained).")
  Path model;

  @Option(names = "--labels", paramLabel = "FILE", description = "Class names, one per line (default: the model's metadata, or ImageNet-1k names for 1000 classes).")
  Path labels;

  @Option(names = "--model-cache", paramLabel = "DIR", description = "Where the built-in model is generated once and reused (default: ~/.cache/mobiserve/models).")
  Path modelCache;

  @Option(names = "--resize", paramLabel = "PIXELS", description = "Resize the short side to this before the centre crop (default: model metadata, else 256/224 of the input).")
  Integer resize;

  @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "Per-channel mean on the [0,1] scale (default: model metadata, else ImageNet's).")
  List<Float> mean;

  @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "Per-channel std on the [0,1] scale (default: model metadata, else ImageNet's).")
  List<Float> std;

  @Option(names = "--channel-order", paramLabel = "RGB|BGR", description = "Channel order the model expects (default: model metadata, else RGB).")
  ChannelOrder channelOrder;

  @Option(names = "--input-size", paramLabel = "HxW", description = "Input height and width, for models whose input size is dynamic.")
  String inputSize;

  /**
   * Loads and checks the model.
   *
   * @throws ConfigurationException when the model cannot be served, saying why
   */
  ModelSpec resolve() {
    try {
      if (model == null) {
        Path file = BuiltinModelFile.ensure(modelCache == null ? ServeCommand.defaultModelCache() : modelCache);
        ModelSpec spec = OnnxModelLoader.load(file, overrides().withName("mobilenetv3-large-builtin"));
        return spec.trained() ? spec : spec.withNotes(UNTRAINED_NOTE);
      }
      return OnnxModelLoader.load(model, overrides());
    } catch (ModelLoadException e) {
      throw new ConfigurationException(e.getMessage(), e);
    } catch (IOException e) {
      throw new ConfigurationException("cannot prepare the built-in model: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  private ModelOverrides overrides() {
    ModelOverrides overrides = ModelOverrides.none();
    if (labels != null) {
      overrides = overrides.withLabelsFile(labels);
    }
    if (resize != null) {
      overrides = overrides.withResize(resize);
    }
    if (mean != null || std != null) {
      if (mean == null || std == null) {
        throw new ConfigurationException("--mean and --std go together: give both");
      }
      overrides = overrides.withNormalization(toArray(mean, "--mean"), toArray(std, "--std"));
    }
    if (channelOrder != null) {
      overrides = overrides.withChannelOrder(channelOrder);
    }
    if (inputSize != null) {
      String[] parts = inputSize.toLowerCase(java.util.Locale.ROOT).split("x");
      try {
        if (parts.length != 2) {
          throw new NumberFormatException();
        }
        overrides = overrides.withInputSize(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
      } catch (NumberFormatException e) {
        throw new ConfigurationException("--input-size must look like 224x224, not '" + inputSize + "'");
      }
    }
    return overrides;
  }

  private static float[] toArray(List<Float> values, String option) {
    if (values.size() != 3) {
      throw new ConfigurationException(option + " needs 3 values (one per channel), not " + values.size());
    }
    float[] array = new float[3];
    for (int i = 0; i < 3; i++) {
      array[i] = values.get(i);
    }
    return array;
  }
}
