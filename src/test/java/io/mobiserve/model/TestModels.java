package io.mobiserve.model;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny ONNX models written by scripts/make_test_models.py, and the digits fixture when present. */
public final class TestModels {
  private TestModels() {}

  /** {@code src/test/resources/models/<name>.onnx} on the test classpath. */
  public static Path model(String name) {
    return resource("/models/" + name + ".onnx");
  }

  /** The digits fixture folder, or null when it has not been copied into the test resources. */
  public static Path digitsOrNull() {
    URL url = TestModels.class.getResource("/digits/digits-mobilenetv3-small.onnx");
    return url == null ? null : resource("/digits");
  }

  private static Path resource(String name) {
    URL url = TestModels.class.getResource(name);
    if (url == null) {
      throw new IllegalStateException("test resource " + name + " is missing");
    }
    try {
      Path path = Path.of(url.toURI());
      if (!Files.exists(path)) {
        throw new IllegalStateException(path + " does not exist");
      }
      return path;
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
