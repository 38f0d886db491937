package io.mobiserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Runs a sweep's steps one after the other, each bounded in time by its {@link StepTiming}. */
public final class Bench {
  private Bench() {}

  /**
   * Runs {@code steps} in order, telling {@code onStep} about each as it ends.
   *
   * @return every step's result, in order
   */
  public static List<StepResult> run(List<Step> steps, StepTiming timing, int imagesPerRequest,
      Consumer<StepResult> onStep) throws InterruptedException {
    StepRunner runner = new StepRunner(timing);
    List<StepResult> results = new ArrayList<>(steps.size());
    for (Step step : steps) {
      StepResult result = runner.run(step.label(), step.load(), step.generator().get(), imagesPerRequest);
      onStep.accept(result);
      results.add(result);
    }
    return results;
  }
}
