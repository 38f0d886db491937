package io.mobiserve.model.mobilenet;

import java.util.SplittableRandom;

/**
 * The random numbers behind generated weights, reproducible from the seed alone.
 *
 * <p>Gaussians use the Marsaglia polar method on {@link SplittableRandom#nextDouble()} with
 * {@link StrictMath#log}, not {@code nextGaussian()}: the JDK does not promise the same Gaussian stream
 * across releases, and {@code Math.log} may differ by an ulp across platforms. This way a seed gives the
 * same bytes on every JVM. Not thread-safe; one instance per model build.
 */
final class SeededWeights {
  private final SplittableRandom random;
  private double spareGaussian;
  private boolean hasSpare;

  SeededWeights(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** He-normal: N(0, gain / fanIn). Gain 2 suits a following ReLU-like nonlinearity, 1 a linear output. */
  float[] heNormal(int count, int fanIn, double gain) {
    return normal(count, 0, Math.sqrt(gain / fanIn));
  }

  float[] normal(int count, double mean, double std) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (mean + std * gaussian());
    }
    return values;
  }

  float[] uniform(int count, double low, double high) {
    float[] values = new float[count];
    for (int i = 0; i < count; i++) {
      values[i] = (float) (low + (high - low) * random.nextDouble());
    }
    return values;
  }

  private double gaussian() {
    if (hasSpare) {
      hasSpare = false;
      return spareGaussian;
    }
    double u;
    double v;
    double s;
    do {
      u = 2 * random.nextDouble() - 1;
      v = 2 * random.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double factor = Math.sqrt(-2 * StrictMath.log(s) / s); // sqrt is exactly rounded everywhere
    spareGaussian = v * factor;
    hasSpare = true;
    return u * factor;
  }
}
