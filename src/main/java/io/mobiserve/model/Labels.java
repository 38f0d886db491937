package io.mobiserve.model;

import java.util.List;

/** Class names, indexed like the model's output; or none, when the model has no names for its classes. */
public final class Labels {
  private static final Labels NONE = new Labels(List.of());

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
}
