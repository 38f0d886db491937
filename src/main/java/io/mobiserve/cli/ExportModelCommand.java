package io.mobiserve.cli;

import io.mobiserve.model.mobilenet.BuiltinModelFile;
import io.mobiserve.model.mobilenet.MobileNetV3Architecture;
import io.mobiserve.model.mobilenet.MobileNetV3Config;
import io.mobiserve.model.mobilenet.MobileNetV3OnnxBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mobiserve export-model}: write a MobileNetV3 with seeded (untrained) weights as ONNX. */
@Command(
    name = "export-model",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Generate a MobileNetV3 ONNX model (opset 17, dynamic batch, batch norm folded, seeded untrained weights).")
final class ExportModelCommand implements Callable<Integer> {

  enum Arch { LARGE, SMALL }

  @Spec
  CommandSpec spec;

  @Option(names = "--arch", defaultValue = "large", description = "large or small (default: ${DEFAULT-VALUE}).")
  Arch arch;

  @Option(names = "--width", defaultValue = "1.0", description = "Width multiplier alpha (default: ${DEFAULT-VALUE}).")
  double width;

  @Option(names = "--resolution", defaultValue = "224", description = "Input height and width (default: ${DEFAULT-VALUE}).")
  int resolution;

  @Option(names = "--classes", defaultValue = "1000", description = "Number of classes (default: ${DEFAULT-VALUE}).")
  int classes;

  @Option(names = "--seed", description = "Seed of the weights (default: the built-in model's).")
  Long seed;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the .onnx file.")
  Path out;

  @Override
  public Integer call() throws IOException {
    MobileNetV3Config config;
    try {
      MobileNetV3Config base = arch == Arch.LARGE
          ? MobileNetV3Config.large(seed == null ? BuiltinModelFile.SEED : seed)
          : MobileNetV3Config.small(seed == null ? BuiltinModelFile.SEED : seed);
      config = base.withWidth(width).withResolution(resolution).withClasses(classes);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
    MobileNetV3OnnxBuilder.writeTo(config, out);
    MobileNetV3Architecture architecture = MobileNetV3Architecture.of(config);
    PrintWriter printer = spec.commandLine().getOut();
    printer.printf("wrote %s (%.1f MB)%n", out, Files.size(out) / 1e6);
    printer.printf("  %s%n", config.description());
    printer.printf("  %,d parameters before batch-norm folding, %d depthwise convolutions, %d squeeze-excite blocks%n",
        architecture.parameterCount(), architecture.depthwiseConvCount(), architecture.seBlockCount());
    printer.printf("  input \"%s\" [N,3,%d,%d] float32, output \"%s\" [N,%d]%n", MobileNetV3OnnxBuilder.INPUT_NAME,
        resolution, resolution, MobileNetV3OnnxBuilder.OUTPUT_NAME, classes);
    printer.flush();
    return ExitCodes.OK;
  }
}
