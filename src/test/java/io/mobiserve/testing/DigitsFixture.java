package io.mobiserve.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The real-data fixture: a MobileNetV3-Small trained on scikit-learn's digits (scripts/
 * train_digits_fixture.py), and 200 held-out 80×80 PNG scans it never saw in training.
 */
public final class DigitsFixture {
  private DigitsFixture() {}

  /** A held-out image and its true digit. */
  public record Sample(Path png, int label) {
    public byte[] bytes() {
      try {
        return Files.readAllBytes(png);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  public static Path directory() {
    try {
      return Path.of(DigitsFixture.class.getResource("/digits/labels.txt").toURI()).getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Path model() {
    return directory().resolve("digits-mobilenetv3-small.onnx");
  }

  /** The held-out samples, in file-name order; file names are {@code NNNN_L.png} with L the true digit. */
  public static List<Sample> heldOut() {
    try (Stream<Path> files = Files.list(directory().resolve("heldout"))) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".png"))
          .sorted()
          .map(p -> {
            String name = p.getFileName().toString();
            return new Sample(p, Integer.parseInt(name.substring(name.indexOf('_') + 1, name.indexOf('.'))));
          })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One Classify request of {@code samples}' PNG files, in order, asking for the top class only. */
  public static ClassifyRequest topOneRequest(List<Sample> samples) {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(1);
    for (Sample sample : samples) {
      request.addImages(
          Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(sample.bytes()))));
    }
    return request.build();
  }

  /** Asserts that {@code response} answers {@code samples} in order, each with its true digit on top. */
  public static void assertEveryDigitRight(ClassifyResponse response, List<Sample> samples) {
    assertThat(response.getResultsCount()).isEqualTo(samples.size());
    for (int i = 0; i < samples.size(); i++) {
      assertThat(response.getResults(i).getClasses(0).getIndex()).as("image %d", i).isEqualTo(samples.get(i).label());
    }
  }
}
