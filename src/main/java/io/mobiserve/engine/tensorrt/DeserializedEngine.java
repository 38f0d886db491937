package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import io.mobiserve.model.ModelSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer.DataType;
import org.bytedeco.tensorrt.global.nvinfer.TensorIOMode;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;

/**
 * One deserialized TensorRT engine ({@code ICudaEngine}) for a model and its pool of execution contexts:
 * shared by all the model's {@link TensorRtEngine} instances, each of which borrows one context.
 *
 * <p>Contexts cannot be freed from Java, so a closed instance returns its context here and the next
 * instance reuses it: the number of contexts ever created is the peak number of open instances. After a
 * sticky CUDA error ({@link #lose}) no context is handed out or taken back again. Thread-safe.
 */
final class DeserializedEngine {
  private final ModelSpec spec;
  private final ICudaEngine engine;
  private final IoTensors.Binding binding;
  private final BatchProfile profile;
  private final PrecisionChoice precision;
  private final int acceptedBatch;
  private final int deviceIndex;
  private final ContextPool<IExecutionContext> contexts;

  private DeserializedEngine(ModelSpec spec, ICudaEngine engine, IoTensors.Binding binding, BatchProfile profile,
      PrecisionChoice precision, int acceptedBatch, int deviceIndex) {
    this.spec = spec;
    this.engine = engine;
    this.binding = binding;
    this.profile = profile;
    this.precision = precision;
    this.acceptedBatch = acceptedBatch;
    this.deviceIndex = deviceIndex;
    this.contexts = new ContextPool<>(spec.name());
  }

  /**
   * Deserializes {@code plan} and checks its I/O against {@code spec} through the engine's own queries,
   * before anything keeps it. The caller has set the CUDA device.
   *
   * @throws EngineException when TensorRT rejects the plan (e.g. built by another TensorRT version) or it
   *     does not match the model or its I/O cannot be read (then the engine's memory leaks, and a warning
   *     says so)
   */
  static DeserializedEngine deserialize(byte[] plan, ModelSpec spec, BatchProfile profile, PrecisionChoice precision,
      int acceptedBatch, int deviceIndex) throws EngineException {
    ICudaEngine engine;
    synchronized (TensorRtProcess.LOCK) {
      long errorMark = TensorRtLogger.INSTANCE.errorMark();
      try (BytePointer blob = new BytePointer(plan)) {
        engine = TensorRtProcess.runtime().deserializeCudaEngine(blob, plan.length);
      }
      if (engine == null || engine.isNull()) {
        throw new EngineException("TensorRT could not deserialize the engine for " + spec.name()
            + TensorRtLogger.INSTANCE.errorSuffix(errorMark));
      }
    }
    IoTensors.Binding binding = IoTensors.validateOrReportLeak(() -> ioTensors(engine), spec, profile);
    return new DeserializedEngine(spec, engine, binding, profile, precision, acceptedBatch, deviceIndex);
  }

  private static List<IoTensors.IoTensor> ioTensors(ICudaEngine engine) {
    List<IoTensors.IoTensor> tensors = new ArrayList<>();
    for (int i = 0; i < engine.getNbIOTensors(); i++) {
      String name = engine.getIOTensorName(i);
      Dims64 shape = engine.getTensorShape(name);
      long[] dims = new long[Math.max(0, shape.nbDims())];
      for (int d = 0; d < dims.length; d++) {
        dims[d] = shape.d(d);
      }
      boolean input = engine.getTensorIOMode(name).value == TensorIOMode.kINPUT.value;
      String dataType =
          TensorRtProcess.enumName(DataType.values(), t -> t.value, engine.getTensorDataType(name).value);
      tensors.add(new IoTensors.IoTensor(name, input, dims, dataType));
    }
    return tensors;
  }

  /** A context for one engine instance: a pooled one, else a new one. */
  IExecutionContext borrowContext() throws EngineException {
    return contexts.borrow(() -> {
      IExecutionContext context = engine.createExecutionContext();
      if (context == null || context.isNull()) {
        throw new EngineException("TensorRT could not create an execution context for " + spec.name()
            + " (out of GPU memory?)");
      }
      return context;
    });
  }

  /** Takes back the context of a closed instance that did not fail for good. */
  void returnContext(IExecutionContext context) {
    contexts.giveBack(context);
  }

  /** A sticky CUDA error: the process's CUDA context, and every execution context in it, is unusable. */
  void lose(String reason) {
    contexts.lose(reason);
  }

  ModelSpec spec() {
    return spec;
  }

  IoTensors.Binding binding() {
    return binding;
  }

  BatchProfile profile() {
    return profile;
  }

  PrecisionChoice precision() {
    return precision;
  }

  int acceptedBatch() {
    return acceptedBatch;
  }

  int deviceIndex() {
    return deviceIndex;
  }

  /**
   * The idle contexts of one engine, reused most recently returned first; after {@link #lose} it hands out
   * nothing and takes nothing back. Generic so that its rules are tested without TensorRT. Thread-safe.
   */
  static final class ContextPool<C> {
    /** Creates a context when none is idle. */
    interface Factory<C> {
      C create() throws EngineException;
    }

    private final String model;
    private final Deque<C> idle = new ArrayDeque<>();
    private String lostReason;

    ContextPool(String model) {
      this.model = model;
    }

    synchronized C borrow(Factory<C> factory) throws EngineException {
      if (lostReason != null) {
        throw new UnrecoverableEngineException("the TensorRT engine for " + model + " cannot run again in this "
            + "process: " + lostReason);
      }
      return idle.isEmpty() ? factory.create() : idle.pop();
    }

    synchronized void giveBack(C context) {
      if (lostReason == null) {
        idle.push(context);
      }
    }

    /** The first reason is kept; idle contexts are dropped (they cannot be freed from Java anyway). */
    synchronized void lose(String reason) {
      if (lostReason == null) {
        lostReason = reason;
      }
      idle.clear();
    }

    synchronized int idleCount() {
      return idle.size();
    }
  }
}
