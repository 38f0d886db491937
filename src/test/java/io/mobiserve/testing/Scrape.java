package io.mobiserve.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A Prometheus text-format scrape, read sample by sample. */
public final class Scrape {
  private final String text;

  public Scrape(String text) {
    this.text = text;
  }

  /**
   * The value of the sample named exactly {@code name} that carries every given label ({@code "key",
   * "value"} pairs), or empty when there is none; more than one such sample is an error.
   */
  public Optional<Double> value(String name, String... labels) {
    List<Double> found = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) {
        continue;
      }
      int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
      if (!line.substring(0, end).equals(name) || !hasLabels(line, labels)) {
        continue;
      }
      found.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
    }
    if (found.size() > 1) {
      throw new AssertionError(found.size() + " samples match " + name + " " + List.of(labels) + " in\n" + text);
    }
    return found.stream().findFirst();
  }

  /** Like {@link #value}, failing when the sample is absent. */
  public double get(String name, String... labels) {
    return value(name, labels)
        .orElseThrow(() -> new AssertionError("no sample " + name + " " + List.of(labels) + " in\n" + text));
  }

  private static boolean hasLabels(String line, String... labels) {
    for (int i = 0; i < labels.length; i += 2) {
      String label = labels[i] + "=\"" + labels[i + 1] + "\"";
      if (!line.contains("{" + label) && !line.contains("," + label)) {
        return false;
      }
    }
    return true;
  }

  public String text() {
    return text;
  }

  @Override
  public String toString() {
    return text;
  }
}
