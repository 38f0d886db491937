package io.mobiserve.batching;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Who may still read a work's images, and when they go back to their owner. */
class AdmittedWorkTest {
  private final AtomicInteger releases = new AtomicInteger();
  private final AdmittedWork admitted = new AdmittedWork(new InferenceWork(
      List.of(FloatBuffer.allocate(3), FloatBuffer.allocate(3)), Long.MAX_VALUE, () -> false, Priority.BULK, "a",
      releases::incrementAndGet), 0);

  @Test
  void finishing_releasesAtOnce_whenNoBatchIsCopying() {
    admitted.fail(new IllegalStateException("x"));

    assertThat(releases).hasValue(1);
  }

  @Test
  void finishing_whileABatchCopies_releasesWhenTheBatchLetsGo() {
    assertThat(admitted.retain()).isTrue();

    admitted.fail(new IllegalStateException("x"));
    assertThat(releases).hasValue(0);

    admitted.release();
    assertThat(releases).hasValue(1);
  }

  @Test
  void answeringEveryImage_completesTheFuture_andReleasesOnce() {
    admitted.answer(0, new InferenceResult(new float[1], 0, 0, 1));
    assertThat(releases).hasValue(0);

    admitted.answer(1, new InferenceResult(new float[1], 0, 0, 1));

    assertThat(admitted.future).isCompleted();
    assertThat(releases).hasValue(1);
    admitted.fail(new IllegalStateException("late"));
    assertThat(releases).hasValue(1);
  }

  @Test
  void retain_refuses_onceTheImagesAreGone() {
    admitted.fail(new IllegalStateException("x"));

    assertThat(admitted.retain()).isFalse();
    assertThat(releases).hasValue(1);
  }
}
