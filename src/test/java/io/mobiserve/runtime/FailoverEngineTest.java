package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineFactory;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.UnrecoverableEngineException;
import io.mobiserve.testing.EngineRuns;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailoverEngineTest {
  private static final int CLASSES = 2;
  private static final int IMAGE_FLOATS = 3;

  /** Answers every image with {@code [value, first input value]}, or throws what it is told to. */
  private static class ScriptedEngine implements InferenceEngine {
    private final String backend;
    private final float value;
    private final int maxBatch;
    int calls;
    RuntimeException throwRuntime;
    EngineException throwEngine;
    boolean scribble;
    boolean closed;
    private final FloatBuffer input;

    ScriptedEngine(String backend, float value, int maxBatch) {
      this.backend = backend;
      this.value = value;
      this.maxBatch = maxBatch;
      this.input = FloatBuffer.allocate(maxBatch * IMAGE_FLOATS);
    }

    void fail(String message) {
      throwEngine = new EngineException(message);
    }

    void heal() {
      throwEngine = null;
      throwRuntime = null;
    }

    @Override
    public FloatBuffer input() {
      return input;
    }

    @Override
    public Logits run(int batchSize) throws EngineException {
      calls++;
      float first = input.get(0);
      if (scribble) {
        input.position(input.limit()); // as a careless engine would: read everything with relative gets
      }
      if (throwEngine != null) {
        throw throwEngine;
      }
      if (throwRuntime != null) {
        throw throwRuntime;
      }
      float[] logits = new float[batchSize * CLASSES];
      for (int i = 0; i < batchSize; i++) {
        logits[i * CLASSES] = value;
        logits[i * CLASSES + 1] = first;
      }
      return new Logits(logits, batchSize, CLASSES);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo(backend, backend.equals("gpu") ? "fp16" : "fp32");
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Records what the engine reports. */
  private static final class RecordingListener implements EngineHealthListener {
    final List<String> events = new ArrayList<>();
    int failedOverImages;

    @Override
    public void degraded(String reason) {
      events.add("degraded: " + reason);
    }

    @Override
    public void recovered() {
      events.add("recovered");
    }

    @Override
    public void failedOver(int images) {
      failedOverImages += images;
    }

    @Override
    public void restartRequired(String reason) {
      events.add("restart required: " + reason);
    }
  }

  private final ScriptedEngine gpu = new ScriptedEngine("gpu", 1f, 16);
  private final ScriptedEngine cpu = new ScriptedEngine("cpu", 2f, 8);
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final RecordingListener listener = new RecordingListener();
  private final FailoverEngine engine = new FailoverEngine(gpu, cpu, IMAGE_FLOATS, now::get, listener);

  private static FloatBuffer batch(int images, float firstValue) {
    FloatBuffer input = FloatBuffer.allocate(images * IMAGE_FLOATS);
    input.put(0, firstValue);
    return input;
  }

  private void advance(Duration duration) {
    now.addAndGet(duration.toNanos());
  }

  @Test
  void healthy_runsOnThePrimaryOnly() throws EngineException {
    Logits logits = EngineRuns.run(engine, batch(3, 7f), 3);

    assertThat(logits.row(2)).containsExactly(1f, 7f);
    assertThat(cpu.calls).isZero();
    assertThat(engine.degraded()).isFalse();
    assertThat(listener.events).isEmpty();
  }

  @Test
  void primaryFailure_answersTheSameBatchFromTheFallback() throws EngineException {
    gpu.fail("CUDA error 700: an illegal memory access");

    Logits logits = EngineRuns.run(engine, batch(4, 5f), 4);

    assertThat(logits.batchSize()).isEqualTo(4);
    assertThat(logits.row(0)).containsExactly(2f, 5f);
    assertThat(logits.row(3)).containsExactly(2f, 5f);
    assertThat(gpu.calls).isEqualTo(1);
    assertThat(cpu.calls).isEqualTo(1);
    assertThat(listener.failedOverImages).isEqualTo(4);
  }

  @Test
  void primaryFailure_theFallbackGetsTheWholeBatch_evenIfThePrimaryMovedItsBuffer() throws EngineException {
    gpu.fail("CUDA error");
    gpu.scribble = true;
    FloatBuffer input = batch(2, 6f);
    input.put(IMAGE_FLOATS, 8f);

    Logits logits = EngineRuns.run(engine, input, 2);

    assertThat(logits.row(0)).containsExactly(2f, 6f);
    assertThat(cpu.input().get(IMAGE_FLOATS)).isEqualTo(8f);
  }

  @Test
  void primaryFailure_isReportedOnceWithItsReason() throws EngineException {
    gpu.fail("CUDA error 700: an illegal memory access");

    EngineRuns.run(engine, batch(1, 0f), 1);
    EngineRuns.run(engine, batch(1, 0f), 1);
    advance(Duration.ofSeconds(1));
    EngineRuns.run(engine, batch(1, 0f), 1); // the retry fails too: still the same degraded state

    assertThat(listener.events).containsExactly("degraded: gpu failed: CUDA error 700: an illegal memory access");
    assertThat(engine.degraded()).isTrue();
    assertThat(engine.degradedReason()).contains("CUDA error 700");
  }

  @Test
  void degraded_sendsBatchesStraightToTheFallbackUntilTheBackOffElapses() throws EngineException {
    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1);
    gpu.heal();

    advance(Duration.ofMillis(999));
    EngineRuns.run(engine, batch(1, 0f), 1);
    assertThat(gpu.calls).isEqualTo(1);
    assertThat(cpu.calls).isEqualTo(2);

    advance(Duration.ofMillis(1));
    Logits logits = EngineRuns.run(engine, batch(1, 0f), 1);
    assertThat(gpu.calls).isEqualTo(2);
    assertThat(logits.row(0)[0]).isEqualTo(1f);
  }

  @Test
  void successfulRetry_recoversAndIsReportedOnce() throws EngineException {
    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1);
    gpu.heal();
    advance(Duration.ofSeconds(1));

    EngineRuns.run(engine, batch(1, 0f), 1);
    EngineRuns.run(engine, batch(1, 0f), 1);

    assertThat(listener.events).containsExactly("degraded: gpu failed: CUDA error", "recovered");
    assertThat(engine.degraded()).isFalse();
    assertThat(engine.degradedReason()).isEmpty();
    assertThat(cpu.calls).isEqualTo(1);
  }

  @Test
  void failedRetries_doubleTheBackOffUpToSixtySeconds() throws EngineException {
    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1); // waits 1 s
    List<Long> waits = new ArrayList<>();
    for (int retry = 0; retry < 8; retry++) {
      int before = gpu.calls;
      long waited = 0;
      while (gpu.calls == before) {
        advance(Duration.ofMillis(500));
        waited += 500;
        EngineRuns.run(engine, batch(1, 0f), 1);
      }
      waits.add(waited);
    }

    assertThat(waits).containsExactly(1_000L, 2_000L, 4_000L, 8_000L, 16_000L, 32_000L, 60_000L, 60_000L);
  }

  @Test
  void recovery_resetsTheBackOff() throws EngineException {
    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1);
    advance(Duration.ofSeconds(1));
    EngineRuns.run(engine, batch(1, 0f), 1); // fails again: next wait 2 s
    gpu.heal();
    advance(Duration.ofSeconds(2));
    EngineRuns.run(engine, batch(1, 0f), 1); // recovers

    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1);
    gpu.heal();
    advance(Duration.ofSeconds(1));
    EngineRuns.run(engine, batch(1, 0f), 1);

    assertThat(engine.degraded()).isFalse();
  }

  @Test
  void unrecoverablePrimaryFailure_servesOnTheFallbackForGood_neverRetryingThePrimary() throws EngineException {
    gpu.throwEngine = new UnrecoverableEngineException("cudaErrorIllegalAddress, code 700; sticky");

    Logits logits = EngineRuns.run(engine, batch(2, 5f), 2);
    gpu.heal(); // whatever the GPU would say now, its CUDA context is gone: it must not be asked
    for (int minute = 0; minute < 10; minute++) {
      advance(Duration.ofMinutes(1));
      assertThat(EngineRuns.run(engine, batch(1, 0f), 1).row(0)[0]).isEqualTo(2f);
    }

    assertThat(logits.row(1)).containsExactly(2f, 5f);
    assertThat(gpu.calls).isEqualTo(1);
    assertThat(cpu.calls).isEqualTo(11);
    assertThat(engine.degraded()).isTrue();
    assertThat(engine.degradedReason()).contains("cudaErrorIllegalAddress").contains("restart required");
  }

  @Test
  void unrecoverableFailure_isReportedAsDegradedThenRestartRequired_once() throws EngineException {
    gpu.throwEngine = new UnrecoverableEngineException("code 719");

    EngineRuns.run(engine, batch(1, 0f), 1);
    EngineRuns.run(engine, batch(1, 0f), 1);

    assertThat(listener.events).hasSize(2);
    assertThat(listener.events.get(0)).startsWith("degraded: gpu failed: code 719");
    assertThat(listener.events.get(1)).startsWith("restart required: gpu failed: code 719");
  }

  @Test
  void unrecoverableFailureOnARetry_stopsTheRetries() throws EngineException {
    gpu.fail("cudaErrorMemoryAllocation");
    EngineRuns.run(engine, batch(1, 0f), 1);
    gpu.throwEngine = new UnrecoverableEngineException("cudaErrorLaunchFailure, code 719");
    advance(Duration.ofSeconds(1));
    EngineRuns.run(engine, batch(1, 0f), 1); // the retry meets the sticky error

    advance(Duration.ofHours(1));
    EngineRuns.run(engine, batch(1, 0f), 1);

    assertThat(gpu.calls).isEqualTo(2);
    assertThat(engine.degradedReason()).contains("code 719").contains("restart required");
    assertThat(listener.events).containsExactly("degraded: gpu failed: cudaErrorMemoryAllocation",
        "restart required: " + engine.degradedReason());
  }

  @Test
  void runtimeExceptionFromThePrimary_failsOverTheSameWay() throws EngineException {
    gpu.throwRuntime = new IllegalStateException("cudaErrorLaunchFailure");

    Logits logits = EngineRuns.run(engine, batch(2, 3f), 2);

    assertThat(logits.row(1)).containsExactly(2f, 3f);
    assertThat(listener.events).singleElement().asString()
        .contains("gpu failed").contains("IllegalStateException").contains("cudaErrorLaunchFailure");
  }

  @Test
  void errorFromThePrimary_failsOverTheSameWay() throws EngineException {
    ScriptedEngine crashing = new ScriptedEngine("gpu", 1f, 16) {
      @Override
      public Logits run(int batchSize) {
        throw new UnsatisfiedLinkError("libnvinfer.so.10: cannot open shared object file");
      }
    };
    FailoverEngine failover = new FailoverEngine(crashing, cpu, IMAGE_FLOATS, now::get, listener);

    Logits logits = EngineRuns.run(failover, batch(1, 4f), 1);

    assertThat(logits.row(0)).containsExactly(2f, 4f);
    assertThat(failover.degradedReason()).contains("libnvinfer.so.10");
  }

  @Test
  void primaryAnsweringTheWrongNumberOfImages_isAFailure() throws EngineException {
    ScriptedEngine wrong = new ScriptedEngine("gpu", 1f, 16) {
      @Override
      public Logits run(int batchSize) {
        return new Logits(new float[CLASSES], 1, CLASSES);
      }
    };
    FailoverEngine failover = new FailoverEngine(wrong, cpu, IMAGE_FLOATS, now::get, listener);

    Logits logits = EngineRuns.run(failover, batch(3, 0f), 3);

    assertThat(logits.batchSize()).isEqualTo(3);
    assertThat(failover.degradedReason()).contains("answered 1 images of a batch of 3");
  }

  @Test
  void bothFailing_throwsNamingBothFailures() {
    gpu.fail("CUDA error 700: an illegal memory access");
    cpu.throwRuntime = new IllegalStateException("ORT ran out of memory");

    assertThatThrownBy(() -> EngineRuns.run(engine, batch(1, 0f), 1))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("CUDA error 700")
        .hasMessageContaining("ORT ran out of memory");
    assertThat(listener.failedOverImages).isZero();
  }

  @Test
  void fallbackFailingWhileDegraded_stillNamesThePrimarysFailure() throws EngineException {
    gpu.fail("CUDA error 999: unknown");
    EngineRuns.run(engine, batch(1, 0f), 1);
    cpu.fail("ORT: bad allocation");

    assertThatThrownBy(() -> EngineRuns.run(engine, batch(1, 0f), 1))
        .isInstanceOf(EngineException.class)
        .hasMessageContaining("CUDA error 999")
        .hasMessageContaining("ORT: bad allocation");
    assertThat(gpu.calls).isEqualTo(1);
  }

  @Test
  void info_describesThePrimary_evenWhileDegraded() throws EngineException {
    assertThat(engine.info()).isEqualTo(new EngineInfo("gpu", "fp16"));

    gpu.fail("CUDA error");
    EngineRuns.run(engine, batch(1, 0f), 1);

    assertThat(engine.info()).isEqualTo(new EngineInfo("gpu", "fp16"));
    assertThat(engine.fallbackInfo().backend()).isEqualTo("cpu");
  }

  @Test
  void close_closesBothEngines() {
    engine.close();

    assertThat(gpu.closed).isTrue();
    assertThat(cpu.closed).isTrue();
  }

  @Test
  void factory_closesThePrimaryWhenTheFallbackCannotBeCreated() {
    ScriptedEngine created = new ScriptedEngine("gpu", 1f, 16);
    EngineFactory factory = FailoverEngine.factory((model, batches) -> created,
        (model, batches) -> { throw new EngineException("cannot open the ONNX file"); }, now::get, listener);

    assertThatThrownBy(() -> factory.create(null, BatchSizes.upTo(1))).hasMessageContaining("cannot open the ONNX file");
    assertThat(created.closed).isTrue();
  }
}
