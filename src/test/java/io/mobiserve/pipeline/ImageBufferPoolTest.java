package io.mobiserve.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class ImageBufferPoolTest {

  @Test
  void aGivenBackBuffer_isTheNextOneTaken_clearedToItsWholeCapacity() {
    ImageBufferPool pool = new ImageBufferPool(12, 4);
    FloatBuffer first = pool.take();
    first.put(new float[5]).flip();
    pool.give(first);

    FloatBuffer again = pool.take();

    assertThat(again).isSameAs(first);
    assertThat(again.position()).isZero();
    assertThat(again.limit()).isEqualTo(12);
    assertThat(again.isDirect()).isTrue();
  }

  @Test
  void buffersBeyondTheIdleLimit_areLeftToTheGarbageCollector() {
    ImageBufferPool pool = new ImageBufferPool(3, 2);
    FloatBuffer a = pool.take();
    FloatBuffer b = pool.take();
    FloatBuffer c = pool.take();
    pool.give(a);
    pool.give(b);
    pool.give(c);

    assertThat(pool.idle()).isEqualTo(2);
  }

  @Test
  void refusesImpossibleSizes() {
    assertThatThrownBy(() -> new ImageBufferPool(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new ImageBufferPool(1, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aPipelineKeepsAsManyIdleBuffersAsItsBudgetCanPreprocessAtOnce_withinBounds() {
    long mobileNetInput = 3L * 224 * 224 * Float.BYTES;
    assertThat(ClassificationPipeline.idleBuffers(new MemoryBudget(256L << 20), mobileNetInput)).isEqualTo(445);
    assertThat(ClassificationPipeline.idleBuffers(new MemoryBudget(8L << 20), mobileNetInput)).isEqualTo(64);
    assertThat(ClassificationPipeline.idleBuffers(MemoryBudget.unlimited(), mobileNetInput)).isEqualTo(1024);
  }
}
