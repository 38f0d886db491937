package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.InputShape;
import java.nio.FloatBuffer;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.tensorrt.nvinfer.Dims4;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GPU engine: one TensorRT execution context with its own CUDA stream and buffers, running a shared
 * deserialized engine. Create instances with {@link TensorRtEngineFactory}.
 *
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time; {@link #infer} may be
 * called from any thread (it selects the instance's CUDA device on the calling thread first), but never
 * concurrently, and {@link #close()} must not race with it. {@link #info()} is safe from any thread.
 *
 * <p>Input and output stay float32 for FP16 engines too: TensorRT keeps the ONNX model's I/O types.
 * Models whose batch dimension is fixed always run the fixed batch; only the real rows are returned.
 */
public final class TensorRtEngine implements InferenceEngine {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngine.class);
  static final String BACKEND = "tensorrt-gpu";

  private final TensorRtModel model;
  private final IExecutionContext context;
  private final CudaBuffers buffers;
  private final CUstream_st stream;
  private final Dims4 inputDims;
  private final InputShape shape;
  private final int classes;
  private final EngineInfo info;
  private boolean closed;

  private TensorRtEngine(TensorRtModel model, IExecutionContext context, CudaBuffers buffers, CUstream_st stream) {
    this.model = model;
    this.context = context;
    this.buffers = buffers;
    this.stream = stream;
    this.shape = model.spec().input();
    this.classes = model.spec().classes();
    this.inputDims = new Dims4(1, shape.channels(), shape.height(), shape.width());
    this.info = new EngineInfo(BACKEND, model.precision().precision().label(), model.acceptedBatch());
  }

  /** Borrows a context and allocates a stream and buffers for one instance of {@code model}. */
  static TensorRtEngine open(TensorRtModel model) throws EngineException {
    CudaCheck cuda = CudaCheck.RUNTIME;
    cuda.check("cudaSetDevice(" + model.deviceIndex() + ")", cudart.cudaSetDevice(model.deviceIndex()));
    IExecutionContext context = model.borrowContext();
    CudaBuffers buffers = null;
    CUstream_st stream = new CUstream_st();
    try {
      buffers = new CudaBuffers(model.profile().inputBytes(), model.profile().outputBytes(model.spec().classes()));
      // Non-blocking: the legacy default stream (other libraries in the process) must not serialize us.
      cuda.check("cudaStreamCreateWithFlags", cudart.cudaStreamCreateWithFlags(stream, cudart.cudaStreamNonBlocking));
      IoTensors.Binding binding = model.binding();
      // The addresses never change for this instance, and the context is ours until close().
      if (!context.setTensorAddress(binding.inputName(), buffers.deviceInput())
          || !context.setTensorAddress(binding.outputName(), buffers.deviceOutput())) {
        throw new EngineException("TensorRT refused the tensor addresses for " + binding);
      }
      return new TensorRtEngine(model, context, buffers, stream);
    } catch (EngineException | RuntimeException e) {
      if (!stream.isNull()) {
        cudart.cudaStreamDestroy(stream);
      }
      if (buffers != null) {
        buffers.close();
      }
      model.returnContext(context);
      throw e;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads {@code input} from its position to its limit without moving its position; heap and direct
   * buffers are both fine (either is copied once, into pinned memory).
   *
   * @throws IllegalArgumentException when {@code batchSize} is outside 1..maxBatch or {@code input} does not
   *     hold exactly {@code batchSize × C × H × W} floats (a caller's bug, not an engine failure)
   */
  @Override
  public Logits infer(FloatBuffer input, int batchSize) throws EngineException {
    if (closed) {
      throw new IllegalStateException(BACKEND + ": infer on a closed engine");
    }
    if (batchSize < 1 || batchSize > info.maxBatch()) {
      throw new IllegalArgumentException("batch size must be from 1 to " + info.maxBatch() + ", not " + batchSize);
    }
    long expected = (long) batchSize * shape.elementCount();
    if (input.remaining() != expected) {
      throw new IllegalArgumentException("a batch of " + batchSize + " images of " + shape.channels() + "x"
          + shape.height() + "x" + shape.width() + " needs " + expected + " floats, but the buffer holds "
          + input.remaining());
    }
    int runBatch = model.profile().runBatch(batchSize);
    CudaCheck cuda = CudaCheck.RUNTIME;
    // The batcher's worker thread is not the thread that created this instance.
    cuda.check("cudaSetDevice(" + model.deviceIndex() + ")", cudart.cudaSetDevice(model.deviceIndex()));

    FloatBuffer hostInput = buffers.hostInput();
    hostInput.clear();
    hostInput.put(input.duplicate());
    // Padding rows of a fixed-batch model keep stale values: rows are independent and theirs are dropped.
    long inputBytes = (long) runBatch * shape.elementCount() * Float.BYTES;
    long outputBytes = (long) runBatch * classes * Float.BYTES;
    cuda.check("cudaMemcpyAsync(input, " + inputBytes + " bytes, host to device)", cudart.cudaMemcpyAsync(
        buffers.deviceInput(), buffers.pinnedInput(), inputBytes, cudart.cudaMemcpyHostToDevice, stream));
    inputDims.d(0, runBatch);
    if (!context.setInputShape(model.binding().inputName(), inputDims)) {
      throw new EngineException(BACKEND + ": TensorRT refused input shape [" + runBatch + ", " + shape.channels()
          + ", " + shape.height() + ", " + shape.width() + "] (profile " + model.profile().describe() + ")");
    }
    long errorMark = TensorRtLogger.INSTANCE.errorMark();
    if (!context.enqueueV3(stream)) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      throw new EngineException(BACKEND + ": enqueueV3 failed on a batch of " + batchSize
          + TensorRtLogger.INSTANCE.errorSuffix(errorMark));
    }
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

  /** Frees the stream and buffers and returns the context to the model's pool. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    int status = cudart.cudaSetDevice(model.deviceIndex());
    if (status == 0) {
      status = cudart.cudaStreamSynchronize(stream);
    }
    if (status != 0) {
      LOG.warn("{}: closing after a CUDA error: {}", BACKEND, CudaCheck.RUNTIME.describe(status));
    }
    cudart.cudaStreamDestroy(stream);
    buffers.close();
    inputDims.close();
    model.returnContext(context);
  }
}
