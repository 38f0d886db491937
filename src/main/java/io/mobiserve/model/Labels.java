package io.mobiserve.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Class names, indexed like the model's output; or none, when the model has no names for its classes.
 *
 * <p>Immutable and safe to share between threads.
 */
public final class Labels {
  private static final Labels NONE = new Labels(List.of());
  private static final String IMAGENET_RESOURCE = "imagenet-1k-labels.txt";

  private final List<String> names;

  private Labels(List<String> names) {
    this.names = List.copyOf(names);
  }

  public static Labels of(List<String> names) {
    if (names.isEmpty()) {
      throw new IllegalArgumentException("a label list must not be empty");
    }
    return new Labels(names);
  }

  public static Labels none() {
    return NONE;
  }

  /**
   * Parses labels written one per line (a labels file, or the {@code mobiserve.labels} metadata value).
   * Line ends may be {@code \n} or {@code \r\n}; names are trimmed; blank lines at the end are ignored.
   *
   * @throws IllegalArgumentException when there are no names, or a blank line before the last name (a
   *     class without a name is almost always an off-by-one in the file)
   */
  public static Labels parse(String text) {
    List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isBlank()) {
      lines.remove(lines.size() - 1);
    }
    if (lines.isEmpty()) {
      throw new IllegalArgumentException("no labels: the text is empty");
    }
    List<String> names = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      String name = lines.get(i).strip();
      if (name.isEmpty()) {
        throw new IllegalArgumentException("line " + (i + 1) + " is blank; every class needs a name");
      }
      names.add(name);
    }
    return new Labels(names);
  }

  /**
   * The 1000 ImageNet-1k class names in torchvision's order (index 0 "tench", 207 "golden retriever"),
   * for 1000-class models that bring no labels of their own. Loaded once from the bundled resource.
   */
  public static Labels imagenet1k() {
    return ImageNet.LABELS;
  }

  public boolean isPresent() {
    return !names.isEmpty();
  }

  public int size() {
    return names.size();
  }

  /** The name of class {@code index}, or the empty string when there are no labels. */
  public String name(int index) {
    return names.isEmpty() ? "" : names.get(index);
  }

  public List<String> asList() {
    return names;
  }

  // Holder idiom: the resource is read on first use, once, without locking on later calls.
  private static final class ImageNet {
    static final Labels LABELS = load();

    private static Labels load() {
      try (InputStream in = Labels.class.getResourceAsStream(IMAGENET_RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("the bundled resource " + IMAGENET_RESOURCE + " is missing");
        }
        Labels labels = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        if (labels.size() != 1000) {
          throw new IllegalStateException(IMAGENET_RESOURCE + " has " + labels.size() + " names, not 1000");
        }
        return labels;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the bundled " + IMAGENET_RESOURCE, e);
      }
    }
  }
}
