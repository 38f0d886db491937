package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ArrivalScheduleTest {

  @Test
  void constant_spacesRequestsEvenlyAtTheRate() {
    ArrivalSchedule schedule = ArrivalSchedule.constant(200);
    assertThat(LongStream.generate(schedule::nextIntervalNanos).limit(1000)).containsOnly(5_000_000L);
  }

  @Test
  void poisson_meanIntervalIsOneOverTheRate() {
    ArrivalSchedule schedule = ArrivalSchedule.poisson(400, 42);
    double mean = LongStream.generate(schedule::nextIntervalNanos).limit(200_000).average().orElseThrow();
    assertThat(mean).isCloseTo(2_500_000, within(2_500_000 * 0.01));
  }

  @Test
  void poisson_intervalsAreExponential_stdEqualsMean() {
    ArrivalSchedule schedule = ArrivalSchedule.poisson(100, 7);
    long[] intervals = LongStream.generate(schedule::nextIntervalNanos).limit(200_000).toArray();
    double mean = LongStream.of(intervals).average().orElseThrow();
    double variance = LongStream.of(intervals).mapToDouble(i -> (i - mean) * (i - mean)).sum() / intervals.length;
    assertThat(Math.sqrt(variance) / mean).isCloseTo(1.0, within(0.02));
    assertThat(LongStream.of(intervals).min().orElseThrow()).isPositive();
  }

  @Test
  void poisson_sameSeedGivesTheSameSequence_otherSeedAnother() {
    long[] first = LongStream.generate(ArrivalSchedule.poisson(100, 3)::nextIntervalNanos).limit(50).toArray();
    long[] again = LongStream.generate(ArrivalSchedule.poisson(100, 3)::nextIntervalNanos).limit(50).toArray();
    long[] other = LongStream.generate(ArrivalSchedule.poisson(100, 4)::nextIntervalNanos).limit(50).toArray();
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void rate_mustBePositive() {
    assertThatThrownBy(() -> ArrivalSchedule.constant(0)).hasMessageContaining("positive");
    assertThatThrownBy(() -> ArrivalSchedule.poisson(-5, 1)).hasMessageContaining("-5");
    assertThatThrownBy(() -> ArrivalSchedule.constant(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
  }
}
