package io.mobiserve.preprocess;

/**
 * Numerically stable softmax: the maximum is subtracted before exponentiating (so logits of 1e4 do not
 * overflow) and the sum is accumulated in double. Stateless and thread-safe.
 */
public final class Softmax {

  private Softmax() {}

  /**
   * The probabilities of {@code logits}, a new array of the same length that sums to 1.
   *
   * @throws IllegalArgumentException when {@code logits} is empty or holds NaN or an infinity (a broken
   *     model or engine, not something to rank)
   */
  public static float[] probabilities(float[] logits) {
    if (logits.length == 0) {
      throw new IllegalArgumentException("no logits");
    }
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < logits.length; i++) {
      float v = logits[i];
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("logit at index " + i + " is " + v);
      }
      max = Math.max(max, v);
    }
    double[] exp = new double[logits.length];
    double sum = 0;
    for (int i = 0; i < logits.length; i++) {
      exp[i] = Math.exp((double) logits[i] - max);
      sum += exp[i];
    }
    float[] probabilities = new float[logits.length];
    for (int i = 0; i < logits.length; i++) {
      probabilities[i] = (float) (exp[i] / sum);
    }
    return probabilities;
  }
}
