package io.mobiserve.model.mobilenet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * The model mobiserve serves when the user names none: MobileNetV3-Large, width 1.0, 224×224, 1000
 * classes, with untrained weights from {@link #SEED}, generated once into a cache directory.
 *
 * <p>Thread- and process-safe: the file is only ever created by an atomic rename of a complete
 * temporary file, so readers never see a partial model. Two callers racing on an empty cache may both
 * generate it; the bytes are identical, and the last rename wins harmlessly.
 */
public final class BuiltinModelFile {
  /** The seed of the built-in model's weights. Changing it changes the file name, so caches stay valid. */
  public static final long SEED = 20190506L;

  /** The built-in model's configuration. */
  public static final MobileNetV3Config CONFIG = MobileNetV3Config.large(SEED);

  private BuiltinModelFile() {}

  /**
   * The version of the generator's output: bump it whenever the builder would write different bytes for
   * the same config, so that a cache written by an older version is not reused.
   */
  static final int GENERATOR_VERSION = 1;

  /** The built-in model's file name: {@code mobilenetv3-large-224-seed<seed>-v<generator version>.onnx}. */
  public static String fileName() {
    return String.format(Locale.ROOT, "mobilenetv3-%s-%d-seed%d-v%d.onnx",
        CONFIG.variant().name().toLowerCase(Locale.ROOT), CONFIG.resolution(), CONFIG.seed(), GENERATOR_VERSION);
  }

  /**
   * Returns {@code <cacheDirectory>/}{@link #fileName()}, generating it first if it is not there. An
   * existing file is returned as is, neither read nor rewritten. Creates the directory if needed.
   *
   * @throws IOException if the directory or the file cannot be created
   */
  public static Path ensure(Path cacheDirectory) throws IOException {
    Objects.requireNonNull(cacheDirectory, "cacheDirectory");
    Path file = cacheDirectory.resolve(fileName());
    if (Files.isRegularFile(file)) {
      return file;
    }
    MobileNetV3OnnxBuilder.writeTo(CONFIG, file);
    return file;
  }
}
