package io.mobiserve.cli;

/** The entry point of {@code mobiserve.jar}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.out.println("mobiserve");
  }
}
