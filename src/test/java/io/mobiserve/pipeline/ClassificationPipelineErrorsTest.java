package io.mobiserve.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.batching.InferenceResult;
import io.mobiserve.batching.InferenceScheduler;
import io.mobiserve.batching.InferenceWork;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Labels;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImagePreprocessor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Errors thrown where no check expects them (out of memory in the preprocessor, in the buffer pool, in the
 * pool's thread start): the call fails with that error, nothing reaches the scheduler, and the memory
 * budget is whole again.
 */
class ClassificationPipelineErrorsTest {
  private static final InputShape INPUT = new InputShape(3, 2, 2);
  private static final ModelSpec MODEL = new ModelSpec("tiny", "a 3x2x2 test model", Path.of("unused.onnx"), "input",
      INPUT, 3, Labels.of(List.of("a", "b", "c")), Preprocessing.torchvisionDefaults(INPUT), true, "");
  private static final Executor DIRECT = Runnable::run;

  private final MemoryBudget budget = new MemoryBudget(1 << 20);
  private final CountingScheduler scheduler = new CountingScheduler();

  @Test
  void outOfMemoryWhilePreprocessing_failsTheCallWithIt_andReleasesItsBudget() {
    ClassificationPipeline pipeline = pipeline(new FailingPreprocessor(new OutOfMemoryError("Java heap space")),
        new PipelineExecutors(DIRECT, 1, DIRECT));

    Throwable failure = failureOf(pipeline.classify(List.of(encoded(), encoded()), 1, CallScope.UNBOUNDED));

    assertThat(failure).isInstanceOf(OutOfMemoryError.class);
    assertAtRest();
  }

  @Test
  void outOfMemoryStartingAPreprocessingThread_failsTheCallWithIt_andReleasesItsBudget() {
    Executor noThreads = task -> {
      throw new OutOfMemoryError("unable to create native thread");
    };
    ClassificationPipeline pipeline =
        pipeline(new FailingPreprocessor(null), new PipelineExecutors(noThreads, 1, DIRECT));

    Throwable failure = failureOf(pipeline.classify(List.of(encoded()), 1, CallScope.UNBOUNDED));

    assertThat(failure).isInstanceOf(OutOfMemoryError.class).hasMessageContaining("native thread");
    assertAtRest();
  }

  @Test
  void outOfMemoryCheckingATensor_failsTheCallWithIt_andReleasesItsBudget() {
    ClassificationPipeline pipeline = pipeline(new FailingPreprocessor(new OutOfMemoryError("Java heap space")),
        new PipelineExecutors(DIRECT, 1, DIRECT));
    ImageInput tensor = new ImageInput.Tensor(ByteBuffer.allocate(INPUT.elementCount() * Float.BYTES));

    Throwable failure = failureOf(pipeline.classify(List.of(tensor), 1, CallScope.UNBOUNDED));

    assertThat(failure).isInstanceOf(OutOfMemoryError.class);
    assertAtRest();
  }

  @Test
  void anotherErrorWhilePreprocessing_isTheServersOwnFailure_neverAHalfFilledInputSentToTheEngine() {
    ClassificationPipeline pipeline = pipeline(new FailingPreprocessor(new StackOverflowError()),
        new PipelineExecutors(DIRECT, 1, DIRECT));

    Throwable failure = failureOf(pipeline.classify(List.of(encoded()), 1, CallScope.UNBOUNDED));

    assertThat(failure).isInstanceOf(StackOverflowError.class);
    assertAtRest();
  }

  private ClassificationPipeline pipeline(ImagePreprocessor preprocessor, PipelineExecutors executors) {
    return new ClassificationPipeline(MODEL, preprocessor, scheduler, executors, budget, PipelineListener.NONE);
  }

  private static ImageInput encoded() {
    return new ImageInput.Encoded(ByteBuffer.wrap(new byte[] {1, 2, 3}));
  }

  private static Throwable failureOf(CompletableFuture<?> call) {
    try {
      call.get(5, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return e.getCause() instanceof CompletionException c ? c.getCause() : e.getCause();
    } catch (Exception e) {
      throw new AssertionError("the call did not fail within 5 s", e);
    }
    throw new AssertionError("the call succeeded");
  }

  private void assertAtRest() {
    assertThat(scheduler.submitted.get()).as("work that reached the scheduler").isZero();
    assertThat(budget.usedBytes()).as("memory budget in use").isZero();
  }

  /** Sizes every image at 100 working bytes, then throws {@code error} (when not null) on use. */
  private static final class FailingPreprocessor implements ImagePreprocessor {
    private final Error error;

    FailingPreprocessor(Error error) {
      this.error = error;
    }

    @Override
    public void preprocess(ImageInput image, FloatBuffer destination) {
      if (error != null) {
        throw error;
      }
    }

    @Override
    public FloatBuffer checkedTensor(ImageInput.Tensor tensor) {
      if (error != null) {
        throw error;
      }
      return tensor.float32LittleEndian().asFloatBuffer();
    }

    @Override
    public long workingBytes(ImageInput image) {
      return 100;
    }
  }

  /** Counts submissions and answers each image with zero logits. */
  private static final class CountingScheduler implements InferenceScheduler {
    final AtomicInteger submitted = new AtomicInteger();

    @Override
    public CompletableFuture<List<InferenceResult>> submit(InferenceWork work) {
      submitted.incrementAndGet();
      work.releaseImages().run();
      return CompletableFuture.completedFuture(List.of(new InferenceResult(new float[3], 0, 0, 1)));
    }

    @Override
    public int queuedImages() {
      return 0;
    }

    @Override
    public long estimatedNanos(int images) {
      return 0;
    }

    @Override
    public long idleNanos(int images) {
      return 0;
    }

    @Override
    public void close() {}
  }
}
