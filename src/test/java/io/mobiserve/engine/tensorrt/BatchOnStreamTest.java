package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order of a batch's work on its stream, and that no failure leaves work in flight. */
class BatchOnStreamTest {
  private static final CudaCheck CUDA = new CudaCheck(code -> "cudaError" + code, code -> "error " + code);
  private static final String SHAPE = "[4, 3, 32, 32]";

  /** Records every call; each step can be told to fail. TensorRT's errors land in {@link #logged}. */
  private static final class FakeStream implements BatchOnStream.Steps, BatchOnStream.ErrorLog {
    final List<String> calls = new ArrayList<>();
    final List<String> logged = new ArrayList<>();
    String shapeError;
    EngineException inputFailure;
    RuntimeException inputBug;
    String inferenceError;
    int outputStatus;
    int syncStatus;

    @Override
    public boolean setInputShape(int runBatch) {
      calls.add("shape " + runBatch);
      if (shapeError != null) {
        logged.add(shapeError); // TensorRT logs why, then returns false
        return false;
      }
      return true;
    }

    @Override
    public void enqueueInput() throws EngineException {
      calls.add("input");
      if (inputFailure != null) {
        throw inputFailure;
      }
      if (inputBug != null) {
        throw inputBug;
      }
    }

    @Override
    public boolean enqueueInference() {
      calls.add("enqueueV3");
      if (inferenceError != null) {
        logged.add(inferenceError);
        return false;
      }
      return true;
    }

    @Override
    public int enqueueOutputCopy(long bytes) {
      calls.add("output " + bytes);
      return outputStatus;
    }

    @Override
    public int synchronize() {
      calls.add("sync");
      return syncStatus;
    }

    @Override
    public long mark() {
      return logged.size();
    }

    @Override
    public String suffix(long mark) {
      List<String> since = logged.subList((int) mark, logged.size());
      return since.isEmpty() ? " (see the TensorRT log)" : ": " + String.join("; ", since);
    }
  }

  private final FakeStream stream = new FakeStream();

  private void run() throws EngineException {
    BatchOnStream.run(stream, 3, 4, 160, SHAPE, stream, CUDA);
  }

  @Test
  void success_queuesEverythingThenWaitsOnce() {
    assertThatCode(this::run).doesNotThrowAnyException();

    assertThat(stream.calls).containsExactly("shape 4", "input", "enqueueV3", "output 160", "sync");
  }

  @Test
  void refusedShape_saysWhatTensorRtLoggedWhileRefusing_andQueuesNothing() {
    stream.shapeError = "IExecutionContext::setInputShape: Error Code 3: dimensions exceed the profile's max";

    assertThatThrownBy(this::run)
        .isExactlyInstanceOf(EngineException.class)
        .hasMessage("tensorrt-gpu: TensorRT refused input shape [4, 3, 32, 32]: "
            + "IExecutionContext::setInputShape: Error Code 3: dimensions exceed the profile's max");
    assertThat(stream.calls).containsExactly("shape 4");
  }

  @Test
  void failedInputCopy_waitsForTheStreamBeforeThrowing() {
    stream.inputFailure = new EngineException("cudaMemcpyAsync(frames) failed: cudaError1");

    assertThatThrownBy(this::run).isSameAs(stream.inputFailure);
    assertThat(stream.calls).containsExactly("shape 4", "input", "sync");
  }

  @Test
  void bugInTheInputStep_stillWaitsForTheStream() {
    stream.inputBug = new IllegalArgumentException("frames need 812 bytes, the buffer has 811");

    assertThatThrownBy(this::run).isSameAs(stream.inputBug);
    assertThat(stream.calls).containsExactly("shape 4", "input", "sync");
  }

  @Test
  void failedEnqueue_waitsAndSaysWhatTensorRtLogged() {
    stream.inferenceError = "Error Code 1: Cuda Runtime (an illegal memory access was encountered)";

    assertThatThrownBy(this::run)
        .isExactlyInstanceOf(EngineException.class)
        .hasMessage("tensorrt-gpu: enqueueV3 failed on a batch of 3: Error Code 1: Cuda Runtime (an illegal memory "
            + "access was encountered)");
    assertThat(stream.calls).containsExactly("shape 4", "input", "enqueueV3", "sync");
  }

  @Test
  void failedOutputCopy_waitsForTheInferenceStillRunning() {
    stream.outputStatus = 1;

    assertThatThrownBy(this::run)
        .isExactlyInstanceOf(EngineException.class)
        .hasMessageStartingWith("cudaMemcpyAsync(output, 160 bytes, device to host) failed: cudaError1");
    assertThat(stream.calls).containsExactly("shape 4", "input", "enqueueV3", "output 160", "sync");
  }

  @Test
  void stickyErrorFoundByTheWaitAfterAFailure_makesItUnrecoverable() {
    stream.inferenceError = "enqueueV3: kernel failed";
    stream.syncStatus = 700;

    assertThatThrownBy(this::run)
        .isInstanceOf(UnrecoverableEngineException.class)
        .hasMessageContaining("enqueueV3 failed on a batch of 3: enqueueV3: kernel failed")
        .hasMessageContaining("then cudaStreamSynchronize failed: cudaError700");
  }

  @Test
  void transientErrorFoundByTheWaitAfterAFailure_keepsTheFirstFailure() {
    stream.inputFailure = new EngineException("out of memory");
    stream.syncStatus = 2;

    assertThatThrownBy(this::run).isSameAs(stream.inputFailure);
  }

  @Test
  void stickyErrorOfTheFinalWait_isUnrecoverable_andWaitedForOnlyOnce() {
    stream.syncStatus = 719;

    assertThatThrownBy(this::run)
        .isInstanceOf(UnrecoverableEngineException.class)
        .hasMessageStartingWith("cudaStreamSynchronize failed: cudaError719");
    assertThat(stream.calls).containsExactly("shape 4", "input", "enqueueV3", "output 160", "sync");
  }
}
