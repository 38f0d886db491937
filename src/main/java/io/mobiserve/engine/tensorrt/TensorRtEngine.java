package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;
import java.nio.FloatBuffer;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.nvinfer.Dims4;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU engine: one TensorRT execution context with its own CUDA stream and buffers, running a
 * {@link DeserializedEngine} shared with the model's other instances. Create instances with {@link TensorRtEngineFactory}.
 *
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time; {@link #run} may be
 * called from any thread (it selects the instance's CUDA device on the calling thread first), but never
 * concurrently (with itself or {@link #run(int, DeviceInput)}), and {@link #close()} must not race with it.
 * {@link #info()} is safe from any thread.
 *
 * <p>Besides the batch in {@link #input()}, an instance runs input that other code queues on its stream
 * straight into its device buffer ({@link #run(int, DeviceInput)}): the GPU frame path of {@code frames/}.
 *
 * <p>Input and output stay float32 for FP16 engines too: TensorRT keeps the ONNX model's I/O types.
 * Models whose batch dimension is fixed always run the fixed batch; only the real rows are returned.
 */
public final class TensorRtEngine implements InferenceEngine {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngine.class);
  static final String BACKEND = "tensorrt-gpu";

  private final DeserializedEngine shared;
  private final IExecutionContext context;
  private final CudaBuffers buffers;
  private final CUstream_st stream;
  private final Dims4 inputDims;
  private final InputShape shape;
  private final int classes;
  private final EngineInfo info;
  private final int maxBatch;
  private boolean closed;

  private TensorRtEngine(DeserializedEngine shared, IExecutionContext context, CudaBuffers buffers, CUstream_st stream) {
    this.shared = shared;
    this.context = context;
    this.buffers = buffers;
    this.stream = stream;
    this.shape = shared.spec().input();
    this.classes = shared.spec().classes();
    this.inputDims = new Dims4(1, shape.channels(), shape.height(), shape.width());
    this.info = new EngineInfo(BACKEND, shared.precision().precision().label());
    this.maxBatch = shared.acceptedBatch();
  }

  /** Borrows a context and allocates a stream and buffers for one instance of {@code shared}. */
  static TensorRtEngine open(DeserializedEngine shared) throws EngineException {
    CudaCheck cuda = CudaCheck.RUNTIME;
    cuda.check("cudaSetDevice(" + shared.deviceIndex() + ")", cudart.cudaSetDevice(shared.deviceIndex()));
    IExecutionContext context = shared.borrowContext();
    CudaBuffers buffers = null;
    CUstream_st stream = new CUstream_st();
    try {
      buffers = new CudaBuffers(shared.profile().inputBytes(), shared.profile().outputBytes(shared.spec().classes()));
      // Non-blocking: the legacy default stream (other libraries in the process) must not serialize us.
      cuda.check("cudaStreamCreateWithFlags", cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking));
      IoTensors.Binding binding = shared.binding();
      // The addresses never change for this instance, and the context is ours until close().
      if (!context.setTensorAddress(binding.inputName(), buffers.deviceInput())
          || !context.setTensorAddress(binding.outputName(), buffers.deviceOutput())) {
        throw new EngineException("TensorRT refused the tensor addresses for " + binding);
      }
      return new TensorRtEngine(shared, context, buffers, stream);
    } catch (EngineException | RuntimeException e) {
      if (!stream.isNull()) {
        cudart.cudaStreamDestroy(stream);
      }
      if (buffers != null) {
        buffers.close();
      }
      shared.returnContext(context);
      throw e;
    }
  }

  /** {@inheritDoc} Pinned host memory: the batch goes to the GPU from here in one asynchronous copy. */
  @Override
  public FloatBuffer input() {
    return buffers.hostInput();
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    requireRunnable("run", batchSize);
    CudaCheck cuda = selectDevice();
    // Padding rows of a fixed-batch model keep stale values: rows are independent and theirs are dropped.
    long inputBytes = (long) shared.profile().runBatch(batchSize) * shape.elementCount() * Float.BYTES;
    cuda.check("cudaMemcpyAsync(input, " + inputBytes + " bytes, host to device)", cudart.cudaMemcpyAsync(
        buffers.deviceInput(), buffers.pinnedInput(), inputBytes, cudart.cudaMemcpyHostToDevice, stream));
    return runQueuedInput(batchSize);
  }

  /**
   * Runs a batch whose input does not come from {@link #input()}: {@code input} queues work on this
   * instance's stream that leaves the batch in the engine's device input buffer (the GPU frame path in
   * {@code frames/} copies raw frames there and preprocesses them with its kernel). Then the batch runs as in
   * {@link #run}, under the same contract.
   *
   * @param batchSize from 1 to {@link #maxBatch()}
   */
  public Logits run(int batchSize, DeviceInput input) throws EngineException {
    requireRunnable("run", batchSize);
    selectDevice();
    try {
      input.enqueue(buffers.deviceInput(), stream);
    } catch (EngineException | RuntimeException e) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      throw e;
    }
    return runQueuedInput(batchSize);
  }

  /** Queues a batch's input into the engine's device input buffer (see {@link #run(int, DeviceInput)}). */
  @FunctionalInterface
  public interface DeviceInput {
    /**
     * Queues, on {@code stream}, the work that writes the batch's float32 NCHW input to {@code deviceInput}.
     * The instance's device is selected on the calling thread; whatever was queued before on the stream has
     * finished.
     */
    void enqueue(Pointer deviceInput, CUstream_st stream) throws EngineException;
  }

  /** The model this instance runs. */
  public ModelSpec model() {
    return shared.spec();
  }

  /** The most images in one batch. */
  public int maxBatch() {
    return maxBatch;
  }

  /** The checks both entry points start with: open, and a batch the profile accepts. */
  private void requireRunnable(String call, int batchSize) {
    if (closed) {
      throw new IllegalStateException(BACKEND + ": " + call + " on a closed engine");
    }
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("batch size must be from 1 to " + maxBatch + ", not " + batchSize);
    }
  }

  /** Selects this instance's device on the calling thread: the batcher's worker did not create it. */
  private CudaCheck selectDevice() throws EngineException {
    CudaCheck cuda = CudaCheck.RUNTIME;
    cuda.check("cudaSetDevice(" + shared.deviceIndex() + ")", cudart.cudaSetDevice(shared.deviceIndex()));
    return cuda;
  }

  /**
   * The tail shared by both entry points: the input is on the device (or queued to be, on the stream);
   * runs the engine on it, copies the logits back and waits for the stream.
   */
  private Logits runQueuedInput(int batchSize) throws EngineException {
    int runBatch = shared.profile().runBatch(batchSize);
    long outputBytes = (long) runBatch * classes * Float.BYTES;
    inputDims.d(0, runBatch);
    if (!context.setInputShape(shared.binding().inputName(), inputDims)) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      throw new EngineException(BACKEND + ": TensorRT refused input shape [" + runBatch + ", " + shape.channels()
          + ", " + shape.height() + ", " + shape.width() + "] (profile " + shared.profile().describe() + ")");
    }
    long errorMark = TensorRtLogger.INSTANCE.errorMark();
    if (!context.enqueueV3(stream)) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      throw new EngineException(BACKEND + ": enqueueV3 failed on a batch of " + batchSize
          + TensorRtLogger.INSTANCE.errorSuffix(errorMark));
    }
    CudaCheck cuda = CudaCheck.RUNTIME;
    cuda.check("cudaMemcpyAsync(output, " + outputBytes + " bytes, device to host)", cudart.cudaMemcpyAsync(
        buffers.pinnedOutput(), buffers.deviceOutput(), outputBytes, cudart.cudaMemcpyDeviceToHost, stream));
    cuda.check("cudaStreamSynchronize", cudart.cudaStreamSynchronize(stream));

    float[] values = new float[batchSize * classes];
    buffers.hostOutput().clear();
    buffers.hostOutput().get(values); // padded rows, if any, are left behind
    return new Logits(values, batchSize, classes);
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  /** Frees the stream and buffers and returns the context to the shared engine's pool. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    int status = cudart.cudaSetDevice(shared.deviceIndex());
    if (status == 0) {
      status = cudart.cudaStreamSynchronize(stream);
    }
    if (status != 0) {
      LOG.warn("{}: closing after a CUDA error: {}", BACKEND, CudaCheck.RUNTIME.describe(status));
    }
    cudart.cudaStreamDestroy(stream);
    buffers.close();
    inputDims.close();
    shared.returnContext(context);
  }
}
