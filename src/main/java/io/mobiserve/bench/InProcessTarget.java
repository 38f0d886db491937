package io.mobiserve.bench;

import io.mobiserve.batching.Priority;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.pipeline.CallFailure;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ClassificationPipeline;
import io.mobiserve.pipeline.ImageClassification;
import io.mobiserve.preprocess.ImageInput;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The same requests handed straight to a {@link ClassificationPipeline} in this JVM: no gRPC, no
 * protobuf, no sockets. What the server is compared with.
 */
public final class InProcessTarget implements LoadTarget {
  private final ClassificationPipeline pipeline;
  private final List<BenchImage> images;
  private final int batch;
  private final int topK;
  private final long timeoutNanos;

  public InProcessTarget(ClassificationPipeline pipeline, List<BenchImage> inputs, int batch, int topK, Duration timeout) {
    this.pipeline = pipeline;
    this.images = List.copyOf(inputs);
    this.batch = batch;
    this.topK = Math.min(topK, pipeline.model().classes());
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public CompletableFuture<Outcome> send(long sequence) {
    List<ImageInput> request = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      // Fresh buffers per request: the pipeline's threads read them concurrently.
      request.add(input(images.get((int) Math.floorMod(sequence * batch + i, (long) images.size()))));
    }
    CallScope scope = new CallScope(System.nanoTime() + timeoutNanos, () -> false, Priority.BULK, "bench");
    try {
      return pipeline.classify(request, topK, scope).handle((results, failure) -> failure == null
          ? check(sequence, results)
          : failed(failure));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(failed(e));
    }
  }

  private Outcome check(long sequence, List<ImageClassification> results) {
    long completed = System.nanoTime();
    if (results.size() != batch) {
      return Outcome.failure("BAD_RESPONSE",
          "request " + sequence + ": " + results.size() + " results for " + batch + " images");
    }
    long[] preprocess = new long[batch];
    long[] queue = new long[batch];
    long[] inference = new long[batch];
    for (int i = 0; i < batch; i++) {
      ImageClassification result = results.get(i);
      if (result.classes().isEmpty()) {
        return Outcome.failure("BAD_RESPONSE", "request " + sequence + ": result " + i + " has no classes");
      }
      preprocess[i] = result.preprocessNanos();
      queue[i] = result.queueNanos();
      inference[i] = result.inferenceNanos();
    }
    return Outcome.success(completed, preprocess, queue, inference);
  }

  /**
   * The failure under the gRPC status code the server would have answered with ({@link CallFailure}, which
   * the server's StatusMapper answers with too), so that both targets count errors alike.
   */
  private static Outcome failed(Throwable failure) {
    Throwable cause = CallFailure.unwrap(failure);
    long retryAfter = TimeUnit.MILLISECONDS.toNanos(CallFailure.retryAfterMillis(cause).orElse(0));
    return Outcome.refusal(CallFailure.of(cause).code().name(), String.valueOf(cause.getMessage()), retryAfter);
  }

  private static ImageInput input(BenchImage image) {
    if (image instanceof BenchImage.Encoded encoded) {
      return new ImageInput.Encoded(ByteBuffer.wrap(encoded.data()).asReadOnlyBuffer());
    }
    if (image instanceof BenchImage.Raw raw) {
      return new ImageInput.Raw(ByteBuffer.wrap(raw.rgb()).asReadOnlyBuffer(), raw.width(), raw.height(), ChannelOrder.RGB);
    }
    return new ImageInput.Tensor(ByteBuffer.wrap(((BenchImage.Tensor) image).float32LittleEndian()).asReadOnlyBuffer());
  }

  @Override
  public String describe() {
    return "in-process";
  }

  @Override
  public void close() {
    // The runtime belongs to whoever created it.
  }
}
