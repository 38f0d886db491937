package io.mobiserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchedEngineTest {

  /** Fails while {@link #broken}, else answers one logit per image. */
  private static class SwitchableEngine implements InferenceEngine {
    boolean broken;
    boolean lost;
    boolean closed;
    int calls;
    private final FloatBuffer input = FloatBuffer.allocate(4);

    @Override
    public FloatBuffer input() {
      return input;
    }

    @Override
    public Logits run(int batchSize) throws EngineException {
      calls++;
      if (lost) {
        throw new UnrecoverableEngineException("cudaErrorLaunchFailure, code 719; sticky");
      }
      if (broken) {
        throw new EngineException("cudaErrorIllegalAddress");
      }
      return new Logits(new float[batchSize], batchSize, 1);
    }

    @Override
    public EngineInfo info() {
      return new EngineInfo("tensorrt-gpu", "fp16");
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** Records transitions as words. */
  private static final class Transitions implements EngineHealthListener {
    final List<String> seen = new ArrayList<>();

    @Override
    public void degraded(String reason) {
      seen.add("degraded: " + reason);
    }

    @Override
    public void recovered() {
      seen.add("recovered");
    }

    @Override
    public void failedOver(int images) {
      seen.add("failed over " + images);
    }

    @Override
    public void restartRequired(String reason) {
      seen.add("restart required: " + reason);
    }
  }

  private final SwitchableEngine gpu = new SwitchableEngine();
  private final Transitions transitions = new Transitions();
  private final WatchedEngine watched = new WatchedEngine(gpu, transitions);

  @Test
  void failures_failTheBatch_andAreReportedOnceUntilABatchSucceeds() throws EngineException {
    gpu.broken = true;
    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> watched.run(2))
          .isInstanceOf(EngineException.class)
          .hasMessage("cudaErrorIllegalAddress");
    }
    gpu.broken = false;
    assertThat(watched.run(2).batchSize()).isEqualTo(2);
    assertThat(watched.run(2).batchSize()).isEqualTo(2);

    assertThat(transitions.seen).containsExactly("degraded: tensorrt-gpu failed: cudaErrorIllegalAddress", "recovered");
  }

  @Test
  void unrecoverableFailure_failsEveryLaterBatchWithoutAskingTheEngine_andRequiresARestart() {
    gpu.lost = true;
    assertThatThrownBy(() -> watched.run(2)).isInstanceOf(UnrecoverableEngineException.class)
        .hasMessageContaining("code 719");
    gpu.lost = false; // whatever the GPU would say now, its CUDA context is gone

    for (int i = 0; i < 3; i++) {
      assertThatThrownBy(() -> watched.run(1))
          .isInstanceOf(UnrecoverableEngineException.class)
          .hasMessageContaining("code 719")
          .hasMessageContaining("restart required");
    }

    assertThat(gpu.calls).isEqualTo(1);
    assertThat(transitions.seen).containsExactly(
        "degraded: tensorrt-gpu failed: cudaErrorLaunchFailure, code 719; sticky",
        "restart required: tensorrt-gpu failed: cudaErrorLaunchFailure, code 719; sticky; restart required");
  }

  @Test
  void unrecoverableFailure_afterATransientOne_isReportedOnceAsRestartRequired() {
    gpu.broken = true;
    assertThatThrownBy(() -> watched.run(1)).isInstanceOf(EngineException.class);
    gpu.broken = false;
    gpu.lost = true;
    assertThatThrownBy(() -> watched.run(1)).isInstanceOf(UnrecoverableEngineException.class);
    assertThatThrownBy(() -> watched.run(1)).isInstanceOf(UnrecoverableEngineException.class);

    assertThat(transitions.seen).containsExactly("degraded: tensorrt-gpu failed: cudaErrorIllegalAddress",
        "restart required: tensorrt-gpu failed: cudaErrorLaunchFailure, code 719; sticky; restart required");
  }

  @Test
  void runtimeFailures_areReportedAndRethrownUnchanged() {
    WatchedEngine throwing = new WatchedEngine(new SwitchableEngine() {
      @Override
      public Logits run(int batchSize) {
        throw new IllegalStateException("context lost");
      }
    }, transitions);

    assertThatThrownBy(() -> throwing.run(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("context lost");
    assertThat(transitions.seen).containsExactly("degraded: tensorrt-gpu failed: java.lang.IllegalStateException: context lost");
  }

  @Test
  void input_isTheEnginesOwn() {
    assertThat(watched.input()).isSameAs(gpu.input());
  }

  @Test
  void healthyBatches_reportNothing_andInfoAndCloseAreTheEngines() throws EngineException {
    watched.run(1);
    watched.close();

    assertThat(transitions.seen).isEmpty();
    assertThat(watched.info()).isEqualTo(gpu.info());
    assertThat(gpu.closed).isTrue();
  }
}
