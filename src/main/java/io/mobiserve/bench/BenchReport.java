package io.mobiserve.bench;

import java.util.List;
import java.util.Map;

/**
 * A whole run: what was measured, how, and every step's figures.
 *
 * @param mode "closed-loop", "open-loop" or "streams"
 * @param target the server address, or "in-process"
 * @param settings how the run was made (input, batch, timing, arrivals...), for people and machines
 * @param steps the steps in order
 */
public record BenchReport(
    String startedAt, String mode, String target, ModelUnderTest model, Map<String, Object> settings,
    List<StepResult> steps) {

  public long totalErrors() {
    return steps.stream().mapToLong(StepResult::errorCount).sum();
  }

  /** What the x axis of "against load" plots means in this mode. */
  public String loadName() {
    return switch (mode) {
      case "open-loop" -> "offered rate (requests/s)";
      case "streams" -> "streams";
      default -> "concurrency";
    };
  }
}
