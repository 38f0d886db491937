package io.mobiserve.testing;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import java.nio.FloatBuffer;

/** Runs a batch given as one buffer through an engine, as the batcher does: copy into its input, run. */
public final class EngineRuns {
  private EngineRuns() {}

  /**
   * Copies {@code batchSize} images from {@code images} (from its position to its limit, which must divide
   * into them evenly) into {@code engine}'s input and runs them.
   */
  public static Logits run(InferenceEngine engine, FloatBuffer images, int batchSize) throws EngineException {
    int floats = images.remaining();
    if (batchSize < 1 || floats % batchSize != 0) {
      throw new IllegalArgumentException(floats + " floats do not divide into " + batchSize + " images");
    }
    engine.input().put(0, images, images.position(), floats);
    return engine.run(batchSize);
  }
}
