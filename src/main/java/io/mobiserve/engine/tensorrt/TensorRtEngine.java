package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.tensorrt.kernels.ImageDescriptor;
import io.mobiserve.engine.tensorrt.kernels.PreprocessKernels;
import io.mobiserve.model.InputShape;
import io.mobiserve.preprocess.BilinearPreprocessReference;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Optional;
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
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time; {@link #run} may be
 * called from any thread (it selects the instance's CUDA device on the calling thread first), but never
 * concurrently (with itself or {@link #inferFrames}), and {@link #close()} must not race with it.
 * {@link #info()} is safe from any thread.
 *
 * <p>Besides preprocessed tensors ({@link #run}), an instance takes raw frames ({@link #inferFrames}) and
 * preprocesses them on the GPU with the kernels of {@code native/}, where that library was built
 * ({@link #supportsFrames()}); the same rules apply to both.
 *
 * <p>Input and output stay float32 for FP16 engines too: TensorRT keeps the ONNX model's I/O types.
 * Models whose batch dimension is fixed always run the fixed batch; only the real rows are returned.
 */
public final class TensorRtEngine implements InferenceEngine {
  private static final Logger LOG = LoggerFactory.getLogger(TensorRtEngine.class);
  static final String BACKEND = "tensorrt-gpu";
  /**
   * The limits {@link #inferFrames} holds each frame to: the pixel limit applies to the frame and to its
   * resized size, as for the CPU preprocessors.
   */
  public static final ImageLimits FRAME_LIMITS = ImageLimits.DEFAULT;

  private final TensorRtModel model;
  private final IExecutionContext context;
  private final CudaBuffers buffers;
  private final CUstream_st stream;
  private final Dims4 inputDims;
  private final InputShape shape;
  private final int classes;
  private final EngineInfo info;
  private final int maxBatch;
  /** Staging for {@link #inferFrames}, allocated on its first call. */
  private FrameBuffers frameBuffers;
  private boolean closed;

  private TensorRtEngine(TensorRtModel model, IExecutionContext context, CudaBuffers buffers, CUstream_st stream) {
    this.model = model;
    this.context = context;
    this.buffers = buffers;
    this.stream = stream;
    this.shape = model.spec().input();
    this.classes = model.spec().classes();
    this.inputDims = new Dims4(1, shape.channels(), shape.height(), shape.width());
    this.info = new EngineInfo(BACKEND, model.precision().precision().label());
    this.maxBatch = model.acceptedBatch();
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
    long inputBytes = (long) model.profile().runBatch(batchSize) * shape.elementCount() * Float.BYTES;
    cuda.check("cudaMemcpyAsync(input, " + inputBytes + " bytes, host to device)", cudart.cudaMemcpyAsync(
        buffers.deviceInput(), buffers.pinnedInput(), inputBytes, cudart.cudaMemcpyHostToDevice, stream));
    return runQueuedInput(batchSize);
  }

  /** True when {@link #inferFrames} can run here: the GPU preprocessing kernels' library loaded. */
  public boolean supportsFrames() {
    return PreprocessKernels.isAvailable();
  }

  /**
   * Runs one batch of raw frames, preprocessed on the GPU: the frames' bytes are copied to the device
   * and one kernel launch resizes, crops and normalizes all of them (as {@link BilinearPreprocessReference}
   * does) straight into the engine's input, on this instance's stream; then the batch runs as in
   * {@link #run}. The frames may differ in size and channel order.
   *
   * <p>The same contract as {@link #run}: one batch at a time per instance, from any thread. The frames'
   * buffers are read from their position to their limit and not modified.
   *
   * @param frames 1 to the instance's max batch of frames, each {@code width × height × 3} bytes, HWC
   * @return the logits, one row per frame in order
   * @throws InvalidImageException when a frame is empty, the wrong byte count, or over {@link #FRAME_LIMITS}
   *     (the message names the frame's index)
   * @throws EngineException when the kernels are unavailable here (see {@link #supportsFrames()}; the
   *     message says why) or the GPU fails
   * @throws IllegalArgumentException when the number of frames is outside 1..maxBatch
   */
  public Logits inferFrames(List<ImageInput.Raw> frames) throws EngineException, InvalidImageException {
    int batchSize = frames.size();
    requireRunnable("inferFrames", batchSize);
    Optional<String> unavailable = PreprocessKernels.unavailableReason();
    if (unavailable.isPresent()) {
      throw new EngineException(BACKEND + ": GPU preprocessing of raw frames is unavailable: " + unavailable.get());
    }
    FrameBatchLayout layout = FrameBatchLayout.of(frames, shape, model.spec().preprocessing(), FRAME_LIMITS);
    CudaCheck cuda = selectDevice();
    if (frameBuffers == null) {
      frameBuffers = new FrameBuffers(maxBatch);
    }
    frameBuffers.ensureFrameCapacity(layout.totalBytes());

    layout.copyFrames(frameBuffers.hostFrames());
    layout.writeDescriptors(frameBuffers.hostDescriptors(), frameBuffers.deviceFrames().address());
    long descriptorBytes = (long) batchSize * ImageDescriptor.BYTES;
    cuda.check("cudaMemcpyAsync(frames, " + layout.totalBytes() + " bytes, host to device)", cudart.cudaMemcpyAsync(
        frameBuffers.deviceFrames(), frameBuffers.pinnedFrames(), layout.totalBytes(), cudart.cudaMemcpyHostToDevice,
        stream));
    cuda.check("cudaMemcpyAsync(descriptors, " + descriptorBytes + " bytes, host to device)", cudart.cudaMemcpyAsync(
        frameBuffers.deviceDescriptors(), frameBuffers.pinnedDescriptors(), descriptorBytes,
        cudart.cudaMemcpyHostToDevice, stream));
    // Always the float kernel: engines keep the ONNX model's float32 input even when built FP16.
    int launched = PreprocessKernels.preprocessFloat(frameBuffers.deviceDescriptors(), batchSize, shape,
        model.spec().preprocessing(), buffers.deviceInput(), stream);
    if (launched != 0) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      cuda.check("mobiserve_preprocess_float(" + batchSize + " frames)", launched);
    }
    return runQueuedInput(batchSize);
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
    cuda.check("cudaSetDevice(" + model.deviceIndex() + ")", cudart.cudaSetDevice(model.deviceIndex()));
    return cuda;
  }

  /**
   * The tail shared by both entry points: the input is on the device (or queued to be, on the stream);
   * runs the engine on it, copies the logits back and waits for the stream.
   */
  private Logits runQueuedInput(int batchSize) throws EngineException {
    int runBatch = model.profile().runBatch(batchSize);
    long outputBytes = (long) runBatch * classes * Float.BYTES;
    inputDims.d(0, runBatch);
    if (!context.setInputShape(model.binding().inputName(), inputDims)) {
      cudart.cudaStreamSynchronize(stream); // leave no copy in flight behind the failure
      throw new EngineException(BACKEND + ": TensorRT refused input shape [" + runBatch + ", " + shape.channels()
          + ", " + shape.height() + ", " + shape.width() + "] (profile " + model.profile().describe() + ")");
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
    if (frameBuffers != null) {
      frameBuffers.close();
    }
    inputDims.close();
    model.returnContext(context);
  }
}
