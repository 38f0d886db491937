package io.mobiserve.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** Runs a sweep's steps one after the other, each bounded in time by its {@link StepTiming}. */
public final class Bench {
  private Bench() {}

  /**
   * Runs {@code steps} in order, telling {@code onStep} about each as it ends.
   *
   * @param goodput where the server's goodput counts are read before and after each step
   * @return every step's result, in order
   */
  public static List<StepResult> run(List<Step> steps, StepTiming timing, int imagesPerRequest,
      GoodputSource goodput, Consumer<StepResult> onStep) throws InterruptedException {
    StepRunner runner = new StepRunner(timing);
    List<StepResult> results = new ArrayList<>(steps.size());
    for (Step step : steps) {
      Optional<GoodputSource.Counts> before = goodput.read();
      StepResult result = runner.run(step.label(), step.load(), step.generator().get(), imagesPerRequest);
      Optional<GoodputSource.Counts> after = goodput.read();
      if (before.isPresent() && after.isPresent()) {
        result = result.withGoodput(after.get().goodputSince(before.get()));
      }
      onStep.accept(result);
      results.add(result);
    }
    return results;
  }
}
