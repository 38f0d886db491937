package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.Logits;
import io.mobiserve.engine.tensorrt.CudaBuffer;
import io.mobiserve.engine.tensorrt.CudaCheck;
import io.mobiserve.engine.tensorrt.TensorRtEngine;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Pointer;

/**
 * A TensorRT engine instance fed raw frames, preprocessed on the GPU: the frames' bytes are copied to the
 * device and one kernel launch ({@link PreprocessKernels}) resizes, crops and normalizes all of them
 * straight into the engine's input, on the instance's stream; then the batch runs as usual.
 *
 * <p><b>Not wired into the server yet:</b> requests are preprocessed on the CPU and go through the batcher
 * as tensors. This package is the GPU half of that next step, tested on a GPU host by
 * {@code TensorRtFramesGpuTest}.
 *
 * <p>The frames of a batch are staged in pinned and device memory of at most a set size (256 MiB by
 * default): a batch needing more is refused, and staging the batches did not need for a while is given back
 * ({@link #releaseIdleStaging()} frees it all when no batch came).
 *
 * <p>Thread-safe: batches run one at a time, as on {@link TensorRtEngine}. Owns the engine and closes it.
 */
public final class TensorRtFrameEngine implements AutoCloseable {
  /**
   * The limits each frame is held to: the pixel limit applies to the frame and to its resized size, as for
   * the CPU preprocessors.
   */
  public static final ImageLimits FRAME_LIMITS = ImageLimits.DEFAULT;

  private final TensorRtEngine engine;
  private final InputShape shape;
  private final Preprocessing preprocessing;
  private final FrameStaging.Limits limits;
  private final FrameStaging staging;
  private boolean closed;

  private TensorRtFrameEngine(TensorRtEngine engine, FrameStaging.Limits limits) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.shape = engine.model().input();
    this.preprocessing = engine.model().preprocessing();
    this.limits = limits;
    this.staging = new FrameStaging(CudaBuffer.CUDA, engine.maxBatch(), limits, System::nanoTime);
  }

  /** Raw frames for {@code engine}, which this object owns from now on; 256 MiB of staging at most. */
  public static TensorRtFrameEngine over(TensorRtEngine engine) {
    return new TensorRtFrameEngine(engine, FrameStaging.Limits.DEFAULT);
  }

  /**
   * Raw frames for {@code engine}, which this object owns from now on.
   *
   * @param maxStagingBytes the most bytes of frames one batch may stage (pinned, and as much on the device)
   * @param shrinkAfter how long staging no batch needed is kept before it is given back
   */
  public static TensorRtFrameEngine over(TensorRtEngine engine, long maxStagingBytes, Duration shrinkAfter) {
    return new TensorRtFrameEngine(engine, new FrameStaging.Limits(maxStagingBytes, shrinkAfter));
  }

  /** True when frames can run here: the GPU preprocessing kernels' library loaded. */
  public static boolean supported() {
    return PreprocessKernels.isAvailable();
  }

  /** The engine the frames run on; it also still runs preprocessed batches. */
  public TensorRtEngine engine() {
    return engine;
  }

  /**
   * Runs one batch of raw frames. The frames may differ in size and channel order; their buffers are read
   * from their position to their limit and not modified.
   *
   * @param frames 1 to the engine's max batch of frames, each {@code width × height × 3} bytes, HWC
   * @return the logits, one row per frame in order
   * @throws InvalidImageException when a frame is empty, the wrong byte count, or over {@link #FRAME_LIMITS}
   *     (the message names the frame's index), or the batch needs more staging than the limit
   * @throws EngineException when the kernels are unavailable here (see {@link #supported()}; the message
   *     says why) or the GPU fails
   * @throws IllegalArgumentException when the number of frames is outside 1..maxBatch
   */
  public synchronized Logits inferFrames(List<ImageInput.Raw> frames) throws EngineException, InvalidImageException {
    int batchSize = frames.size();
    if (batchSize < 1 || batchSize > engine.maxBatch()) {
      throw new IllegalArgumentException("batch size must be from 1 to " + engine.maxBatch() + ", not " + batchSize);
    }
    Optional<String> unavailable = PreprocessKernels.unavailableReason();
    if (unavailable.isPresent()) {
      throw new EngineException(
          engine.info().backend() + ": GPU preprocessing of raw frames is unavailable: " + unavailable.get());
    }
    FrameBatchLayout layout = FrameBatchLayout.of(frames, shape, preprocessing, FRAME_LIMITS, limits.maxBytes());
    return engine.run(batchSize, (deviceInput, stream) -> enqueue(layout, deviceInput, stream));
  }

  /** Copies the frames and their descriptors to the device and queues the kernel, all on {@code stream}. */
  private void enqueue(FrameBatchLayout layout, Pointer deviceInput, CUstream_st stream) throws EngineException {
    staging.prepare(layout.totalBytes());
    layout.copyFrames(staging.hostFrames());
    layout.writeDescriptors(staging.hostDescriptors(), staging.deviceFrames().address());
    int frames = layout.frameCount();
    long descriptorBytes = (long) frames * ImageDescriptor.BYTES;
    CudaCheck cuda = CudaCheck.RUNTIME;
    cuda.check("cudaMemcpyAsync(frames, " + layout.totalBytes() + " bytes, host to device)", cudart.cudaMemcpyAsync(
        staging.deviceFrames(), staging.pinnedFrames(), layout.totalBytes(), cudart.cudaMemcpyHostToDevice, stream));
    cuda.check("cudaMemcpyAsync(descriptors, " + descriptorBytes + " bytes, host to device)", cudart.cudaMemcpyAsync(
        staging.deviceDescriptors(), staging.pinnedDescriptors(), descriptorBytes, cudart.cudaMemcpyHostToDevice,
        stream));
    // Always the float kernel: engines keep the ONNX model's float32 input even when built FP16.
    cuda.check("mobiserve_preprocess_float(" + frames + " frames)",
        PreprocessKernels.preprocessFloat(staging.deviceDescriptors(), frames, shape, preprocessing, deviceInput,
            stream));
  }

  /**
   * Frees the frame staging if no batch came for the shrink period; for a housekeeping timer.
   *
   * @return true when it freed memory
   */
  public synchronized boolean releaseIdleStaging() {
    if (closed) {
      return false;
    }
    cudart.cudaSetDevice(engine.deviceIndex());
    return staging.releaseIfIdle();
  }

  /** Closes the engine (which waits for its stream), then frees the staging buffers. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    engine.close();
    staging.close();
  }
}
