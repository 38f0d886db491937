package io.mobiserve.bench;

/** How open-loop requests are spaced: {@code --arrivals constant|poisson}. */
public enum Arrivals {
  CONSTANT,
  POISSON;

  ArrivalSchedule schedule(double perSecond, long seed) {
    return this == CONSTANT ? ArrivalSchedule.constant(perSecond) : ArrivalSchedule.poisson(perSecond, seed);
  }
}
