package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.UnrecoverableEngineException;
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
 * {@link DeserializedEngine} shared with the model's other instances. Create instances with
 * {@link TensorRtEngineFactory}.
 *
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time; {@link #run} may be
 * called from any thread (it selects the instance's CUDA device on the calling thread first), but never
 * concurrently (with itself or {@link #run(int, DeviceInput)}), and {@link #close()} must not race with it.
 * {@link #info()} is safe from any thread.
 *
 * <p>Besides the batch in {@link #input()}, an instance runs input that other code queues on its stream
 * straight into its device buffer ({@link #run(int, DeviceInput)}): the GPU frame path of {@code frames/}.
 * A batch's work on the stream follows {@link BatchOnStream}: no failure leaves a copy in flight.
 *
 * <p>After a sticky CUDA error the instance is lost: it throws {@link UnrecoverableEngineException} at once
 * from then on, its context is never returned to the pool, and no new instance of the model can start.
 *
 * <p>Input and output stay float32 for FP16 engines too: TensorRT keeps the ONNX model's I/O types.
 * Models whose batch dimension is fixed always run the fixed batch; only the real rows are returned.
 */
public final class TensorRtEngine implements InferenceEngine {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngine.class);
  static final String BACKEND = "tensorrt-gpu";

  private final DeserializedEngine shared;
  private final IExecutionContext context;
  private final CudaBuffer input;
  private final CudaBuffer output;
  private final FloatBuffer hostInput;
  private final FloatBuffer hostOutput;
  private final CUstream_st stream;
  private final Dims4 inputDims;
  private final InputShape shape;
  private final int classes;
  private final EngineInfo info;
  private final int maxBatch;
  private boolean closed;
  private String lostReason; // after a sticky CUDA error

  private TensorRtEngine(DeserializedEngine shared, IExecutionContext context, CudaBuffer input, CudaBuffer output,
      CUstream_st stream) {
    this.shared = shared;
    this.context = context;
    this.input = input;
    this.output = output;
    this.hostInput = input.host().asFloatBuffer();
    this.hostOutput = output.host().asFloatBuffer();
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
    CudaBuffer input = null;
    CudaBuffer output = null;
    CUstream_st stream = new CUstream_st();
    try {
      input = CudaBuffer.allocate(CudaBuffer.CUDA, "input", shared.profile().inputBytes());
      output = CudaBuffer.allocate(CudaBuffer.CUDA, "output", shared.profile().outputBytes(shared.spec().classes()));
      // Non-blocking: the legacy default stream (other libraries in the process) must not serialize us.
      cuda.check("cudaStreamCreateWithFlags", cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking));
      IoTensors.Binding binding = shared.binding();
      // The addresses never change for this instance, and the context is ours until close().
      if (!context.setTensorAddress(binding.inputName(), input.device())
          || !context.setTensorAddress(binding.outputName(), output.device())) {
        throw new EngineException("TensorRT refused the tensor addresses for " + binding);
      }
      return new TensorRtEngine(shared, context, input, output, stream);
    } catch (EngineException | RuntimeException e) {
      if (!stream.isNull()) {
        cudart.cudaStreamDestroy(stream);
      }
      if (output != null) {
        output.close();
      }
      if (input != null) {
        input.close();
      }
      if (e instanceof UnrecoverableEngineException) {
        shared.lose(e.getMessage());
      } else {
        shared.returnContext(context);
      }
      throw e;
    }
  }

  /** {@inheritDoc} Pinned host memory: the batch goes to the GPU from here in one asynchronous copy. */
  @Override
  public FloatBuffer input() {
    return hostInput;
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    // Padding rows of a fixed-batch model keep stale values: rows are independent and theirs are dropped.
    long bytes = (long) shared.profile().runBatch(batchSize) * shape.elementCount() * Float.BYTES;
    return runBatch(batchSize, () -> CudaCheck.RUNTIME.check("cudaMemcpyAsync(input, " + bytes
        + " bytes, host to device)", cudart.cudaMemcpyAsync(input.device(), input.pinned(), bytes,
            cudart.cudaMemcpyHostToDevice, stream)));
  }

  /**
   * Runs a batch whose input does not come from {@link #input()}: {@code deviceInput} queues work on this
   * instance's stream that leaves the batch in the engine's device input buffer (the GPU frame path in
   * {@code frames/} copies raw frames there and preprocesses them with its kernel). Then the batch runs as in
   * {@link #run}, under the same contract.
   *
   * @param batchSize from 1 to {@link #maxBatch()}
   */
  public Logits run(int batchSize, DeviceInput deviceInput) throws EngineException {
    return runBatch(batchSize, () -> deviceInput.enqueue(input.device(), stream));
  }

  /** Queues a batch's input into the engine's device input buffer (see {@link #run(int, DeviceInput)}). */
  @FunctionalInterface
  public interface DeviceInput {
    /**
     * Queues, on {@code stream}, the work that writes the batch's float32 NCHW input to {@code deviceInput}.
     * The instance's device is selected on the calling thread, and nothing queued earlier on the stream is
     * still running. A failure may leave work queued: the engine waits for the stream before it throws.
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

  /** The CUDA device the instance runs on. */
  public int deviceIndex() {
    return shared.deviceIndex();
  }

  /** One input step of a batch: {@link BatchOnStream.Steps#enqueueInput()}. */
  private interface InputStep {
    void enqueue() throws EngineException;
  }

  private Logits runBatch(int batchSize, InputStep inputStep) throws EngineException {
    if (closed) {
      throw new IllegalStateException(BACKEND + ": run on a closed engine");
    }
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("batch size must be from 1 to " + maxBatch + ", not " + batchSize);
    }
    if (lostReason != null) {
      throw new UnrecoverableEngineException(BACKEND + " cannot run again in this process: " + lostReason);
    }
    int runBatch = shared.profile().runBatch(batchSize);
    try {
      // The batcher's worker did not create this instance: select its device on the calling thread.
      CudaCheck.RUNTIME.check("cudaSetDevice(" + shared.deviceIndex() + ")", cudart.cudaSetDevice(shared.deviceIndex()));
      BatchOnStream.run(new Steps(inputStep), batchSize, runBatch, (long) runBatch * classes * Float.BYTES,
          "[" + runBatch + ", " + shape.channels() + ", " + shape.height() + ", " + shape.width() + "] (profile "
              + shared.profile().describe() + ")",
          TensorRtLogger.INSTANCE, CudaCheck.RUNTIME);
    } catch (UnrecoverableEngineException e) {
      lostReason = e.getMessage();
      shared.lose(lostReason);
      throw e;
    }
    float[] values = new float[batchSize * classes];
    hostOutput.get(0, values); // padded rows, if any, are left behind
    return new Logits(values, batchSize, classes);
  }

  /** The preset calls of one batch on this instance's context and stream. */
  private final class Steps implements BatchOnStream.Steps {
    private final InputStep inputStep;

    Steps(InputStep inputStep) {
      this.inputStep = inputStep;
    }

    @Override
    public boolean setInputShape(int runBatch) {
      inputDims.d(0, runBatch);
      return context.setInputShape(shared.binding().inputName(), inputDims);
    }

    @Override
    public void enqueueInput() throws EngineException {
      inputStep.enqueue();
    }

    @Override
    public boolean enqueueInference() {
      return context.enqueueV3(stream);
    }

    @Override
    public int enqueueOutputCopy(long bytes) {
      return cudart.cudaMemcpyAsync(output.pinned(), output.device(), bytes, cudart.cudaMemcpyDeviceToHost, stream);
    }

    @Override
    public int synchronize() {
      return cudart.cudaStreamSynchronize(stream);
    }
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  /**
   * Waits for the stream, frees it and the buffers, and returns the context to the shared engine's pool —
   * unless the instance was lost to a sticky CUDA error: that context is never used again. Idempotent.
   */
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
    if (status != 0 && lostReason == null) {
      LOG.warn("{}: closing after a CUDA error: {}", BACKEND, CudaCheck.RUNTIME.describe(status));
      if (CudaCheck.isSticky(status)) {
        lostReason = CudaCheck.RUNTIME.message("cudaStreamSynchronize", status);
        shared.lose(lostReason);
      }
    }
    cudart.cudaStreamDestroy(stream);
    output.close();
    input.close();
    inputDims.close();
    if (lostReason == null) {
      shared.returnContext(context);
    }
  }
}
