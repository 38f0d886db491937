package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.nio.FloatBuffer;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory one engine instance runs in: device input and output tensors, and pinned host copies of each
 * (pinned so the copies are true asynchronous DMA on the instance's stream). Allocated once at the largest
 * batch; freed by {@link #close}. Not thread-safe: one instance, one thread at a time.
 */
final class CudaBuffers implements AutoCloseable {
  private final Pointer deviceInput = new Pointer();
  private final Pointer deviceOutput = new Pointer();
  private final Pointer pinnedInput = new Pointer();
  private final Pointer pinnedOutput = new Pointer();
  private final FloatBuffer hostInput;
  private final FloatBuffer hostOutput;

  /** Allocates; on failure frees what was allocated and throws. The caller has set the CUDA device. */
  CudaBuffers(long inputBytes, long outputBytes) throws EngineException {
    try {
      CudaCheck.RUNTIME.check("cudaMalloc(input, " + inputBytes + " bytes)", cudart.cudaMalloc(deviceInput, inputBytes));
      CudaCheck.RUNTIME.check("cudaMalloc(output, " + outputBytes + " bytes)",
          cudart.cudaMalloc(deviceOutput, outputBytes));
      CudaCheck.RUNTIME.check("cudaMallocHost(input, " + inputBytes + " bytes)",
          cudart.cudaMallocHost(pinnedInput, inputBytes));
      CudaCheck.RUNTIME.check("cudaMallocHost(output, " + outputBytes + " bytes)",
          cudart.cudaMallocHost(pinnedOutput, outputBytes));
    } catch (EngineException e) {
      close();
      throw e;
    }
    // Pinned pointers come back with capacity 0: give the views their size before Java touches them.
    hostInput = view(pinnedInput, inputBytes);
    hostOutput = view(pinnedOutput, outputBytes);
  }

  private static FloatBuffer view(Pointer pinned, long bytes) {
    long floats = bytes / Float.BYTES;
    FloatBuffer view = new FloatPointer(pinned).capacity(floats).asBuffer();
    if (view.capacity() != floats) {
      throw new IllegalStateException("pinned view of " + view.capacity() + " floats, expected " + floats);
    }
    return view;
  }

  Pointer deviceInput() {
    return deviceInput;
  }

  Pointer deviceOutput() {
    return deviceOutput;
  }

  Pointer pinnedInput() {
    return pinnedInput;
  }

  Pointer pinnedOutput() {
    return pinnedOutput;
  }

  /** The pinned input as a native-order buffer over its whole size. */
  FloatBuffer hostInput() {
    return hostInput;
  }

  /** The pinned output as a native-order buffer over its whole size. */
  FloatBuffer hostOutput() {
    return hostOutput;
  }

  /** Frees whatever was allocated. Return codes are ignored: nothing useful can be done with them here. */
  @Override
  public void close() {
    if (!deviceInput.isNull()) {
      cudart.cudaFree(deviceInput);
      deviceInput.setNull();
    }
    if (!deviceOutput.isNull()) {
      cudart.cudaFree(deviceOutput);
      deviceOutput.setNull();
    }
    if (!pinnedInput.isNull()) {
      cudart.cudaFreeHost(pinnedInput);
      pinnedInput.setNull();
    }
    if (!pinnedOutput.isNull()) {
      cudart.cudaFreeHost(pinnedOutput);
      pinnedOutput.setNull();
    }
  }
}
