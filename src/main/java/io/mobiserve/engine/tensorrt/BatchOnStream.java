package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;

/**
 * The order of one batch's work on an engine instance's CUDA stream, and what a failure at each step
 * leaves behind: nothing in flight. {@link TensorRtEngine} supplies the steps (the preset calls); the order
 * and the failure handling are here, where they are tested without a GPU.
 *
 * <ol>
 *   <li>set the input shape — TensorRT's errors are marked before, so a refusal says why;
 *   <li>queue the input (the pinned input's copy, or frames and their preprocessing kernel);
 *   <li>queue the inference ({@code enqueueV3});
 *   <li>queue the logits' copy to pinned memory;
 *   <li>wait for the stream.
 * </ol>
 *
 * <p>Any failure after step 1 waits for the stream before the exception leaves: copies already queued still
 * read the pinned input (which the next batch overwrites) and write the pinned output, and the frame path's
 * staging may be freed once the batch is over. A sticky CUDA error, seen by a step or by that wait, makes the
 * failure an {@link UnrecoverableEngineException}.
 */
final class BatchOnStream {
  private BatchOnStream() {}

  /** One batch's calls, in the order {@link #run} makes them. */
  interface Steps {
    /** TensorRT's {@code setInputShape}; false when refused. */
    boolean setInputShape(int runBatch);

    /** Queues the input on the stream; throws when a call fails. */
    void enqueueInput() throws EngineException;

    /** TensorRT's {@code enqueueV3}; false when it failed. */
    boolean enqueueInference();

    /** Queues the copy of {@code bytes} of logits to pinned memory; the CUDA status. */
    int enqueueOutputCopy(long bytes);

    /** Waits for everything queued on the stream; the CUDA status. */
    int synchronize();
  }

  /** The errors TensorRT logged: {@link TensorRtLogger} in the engine. */
  interface ErrorLog {
    /** A mark to pass to {@link #suffix} later. */
    long mark();

    /** {@code ": error 1; error 2"} for the errors since {@code mark}, or a pointer to the log when none. */
    String suffix(long mark);
  }

  /**
   * Runs the steps for a batch of {@code batchSize} images, run as {@code runBatch} (a fixed-batch model
   * pads); when it returns, the logits are in pinned memory.
   *
   * @param shape the input shape in words, for the refusal's message, e.g. {@code "[8, 3, 224, 224] (profile
   *     batch=1/8/16 input=3x224x224)"}
   * @throws UnrecoverableEngineException when a step or the wait after a failure met a sticky CUDA error
   * @throws EngineException when a step failed; nothing is left in flight
   */
  static void run(Steps steps, int batchSize, int runBatch, long outputBytes, String shape, ErrorLog errors,
      CudaCheck cuda) throws EngineException {
    long mark = errors.mark();
    if (!steps.setInputShape(runBatch)) { // nothing queued yet: nothing to wait for
      throw new EngineException(TensorRtEngine.BACKEND + ": TensorRT refused input shape " + shape
          + errors.suffix(mark));
    }
    boolean waited = false;
    try {
      steps.enqueueInput();
      mark = errors.mark();
      if (!steps.enqueueInference()) {
        throw new EngineException(TensorRtEngine.BACKEND + ": enqueueV3 failed on a batch of " + batchSize
            + errors.suffix(mark));
      }
      cuda.check("cudaMemcpyAsync(output, " + outputBytes + " bytes, device to host)",
          steps.enqueueOutputCopy(outputBytes));
      waited = true;
      cuda.check("cudaStreamSynchronize", steps.synchronize());
    } catch (EngineException | RuntimeException e) {
      if (!waited) {
        int status = steps.synchronize();
        if (CudaCheck.isSticky(status) && !(e instanceof UnrecoverableEngineException)) {
          // The step's own error hid it: the stream shows that the CUDA context is lost.
          throw cuda.failure(describe(e) + "; then " + cuda.message("cudaStreamSynchronize", status), status, e);
        }
      }
      throw e;
    }
  }

  private static String describe(Exception failure) {
    return failure instanceof EngineException ? failure.getMessage() : failure.toString();
  }
}
