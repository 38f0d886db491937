package io.mobiserve.engine.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.mobiserve.engine.BatchSizes;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The CPU engine: one ONNX Runtime session running a {@link ModelSpec}'s model in fp32.
 *
 * <p>The instance owns its input and output memory: one direct buffer each, sized for the largest batch,
 * wrapped once per batch size as ONNX Runtime tensors and bound as the session's input and (pre-allocated)
 * output. A batch therefore runs with no allocation and no copy on the way in; the logits are copied out
 * once, so that the instance can run the next batch while they are used.
 *
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time: {@link #input()} and
 * {@link #run} are for one thread at a time. {@link #info()} is safe from any thread; {@link #close()} must
 * not race with {@link #run}.
 *
 * <p>A model whose batch dimension is fixed (see {@link ModelSpec#fixedBatch()}) always runs its fixed
 * batch: the rows after the real images keep whatever the buffer held (rows do not affect each other), and
 * only the real rows are returned.
 */
public final class OrtEngine implements InferenceEngine {
  private static final OrtEnvironment ENV = OrtSessions.ENV;

  /** The backend's name in {@link EngineInfo}, logs, metrics and ModelInfo. */
  public static final String BACKEND = "onnxruntime-cpu";
  private static final EngineInfo INFO = new EngineInfo(BACKEND, "fp32");

  private final OrtSession session;
  private final String inputName;
  private final String outputName;
  private final InputShape shape;
  private final int classes;
  private final int maxBatch;
  private final int fixedBatch; // 0 when the batch dimension is dynamic
  private final FloatBuffer input;
  private final FloatBuffer output;
  /** The input and output tensors of each batch size the session has run, by size; made on first use. */
  private final Binding[] bindings;

  /** A batch size's input and output tensors, views of the instance's two buffers. */
  private record Binding(OnnxTensor input, OnnxTensor output, Map<String, OnnxTensor> inputs,
      Map<String, OnnxTensor> outputs) implements AutoCloseable {
    @Override
    public void close() {
      input.close();
      output.close();
    }
  }

  private OrtEngine(OrtSession session, ModelSpec spec, int maxBatch) throws OrtException {
    this.session = session;
    this.inputName = spec.inputName();
    this.outputName = session.getOutputNames().iterator().next();
    this.shape = spec.input();
    this.classes = spec.classes();
    this.maxBatch = maxBatch;
    this.fixedBatch = spec.fixedBatch().orElse(0);
    int runCapacity = fixedBatch > 0 ? fixedBatch : maxBatch;
    this.input = directFloats(Math.multiplyExact(runCapacity, shape.elementCount()));
    this.output = directFloats(Math.multiplyExact(runCapacity, classes));
    this.bindings = new Binding[runCapacity + 1];
  }

  /**
   * Opens a session for {@code spec}'s ONNX file, for batches of up to {@code batches.max()} images.
   *
   * @throws EngineException when ONNX Runtime cannot create the session
   * @throws IllegalArgumentException when the model fixes a batch smaller than {@code batches.max()}
   */
  public static OrtEngine open(ModelSpec spec, BatchSizes batches, OrtEngineOptions options) throws EngineException {
    if (spec.fixedBatch().isPresent() && batches.max() > spec.fixedBatch().getAsInt()) {
      throw new IllegalArgumentException("max batch " + batches.max() + " exceeds the model's fixed batch of "
          + spec.fixedBatch().getAsInt());
    }
    OrtSession session = null;
    try {
      session = OrtSessions.open(spec.onnxFile(), options);
      return new OrtEngine(session, spec, batches.max());
    } catch (OrtException e) {
      closeQuietly(session);
      throw new EngineException(BACKEND + ": cannot open " + spec.onnxFile() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public FloatBuffer input() {
    return input;
  }

  @Override
  public Logits run(int batchSize) throws EngineException {
    if (batchSize < 1 || batchSize > maxBatch) {
      throw new IllegalArgumentException("batch size must be from 1 to " + maxBatch + ", not " + batchSize);
    }
    int runBatch = fixedBatch > 0 ? fixedBatch : batchSize;
    try {
      Binding binding = binding(runBatch);
      // The output is pre-allocated (bound), so the result owns nothing; closing it frees only its map.
      session.run(binding.inputs(), binding.outputs()).close();
    } catch (OrtException e) {
      throw new EngineException(BACKEND + ": inference failed on a batch of " + batchSize + ": "
          + e.getMessage(), e);
    }
    float[] values = new float[batchSize * classes];
    output.get(0, values); // padded rows, if any, are left behind
    return new Logits(values, batchSize, classes);
  }

  private Binding binding(int runBatch) throws OrtException {
    Binding binding = bindings[runBatch];
    if (binding == null) {
      OnnxTensor in = OnnxTensor.createTensor(ENV, prefix(input, runBatch * shape.elementCount()),
          new long[] {runBatch, shape.channels(), shape.height(), shape.width()});
      OnnxTensor out;
      try {
        out = OnnxTensor.createTensor(ENV, prefix(output, runBatch * classes), new long[] {runBatch, classes});
      } catch (OrtException | RuntimeException e) {
        in.close();
        throw e;
      }
      binding = new Binding(in, out, Map.of(inputName, in), Map.of(outputName, out));
      bindings[runBatch] = binding;
    }
    return binding;
  }

  /** The first {@code floats} of {@code buffer} as a buffer of their own: ORT reads and writes views from index 0. */
  private static FloatBuffer prefix(FloatBuffer buffer, int floats) {
    return buffer.duplicate().clear().limit(floats).slice();
  }

  private static FloatBuffer directFloats(int floats) {
    return ByteBuffer.allocateDirect(Math.multiplyExact(floats, Float.BYTES)).order(ByteOrder.nativeOrder())
        .asFloatBuffer();
  }

  @Override
  public EngineInfo info() {
    return INFO;
  }

  @Override
  public void close() {
    for (Binding binding : bindings) {
      if (binding != null) {
        binding.close();
      }
    }
    try {
      session.close();
    } catch (OrtException e) {
      // close() cannot throw checked exceptions (try-with-resources callers); a failed release is a bug
      // worth surfacing rather than swallowing.
      throw new IllegalStateException(BACKEND + ": closing the session failed", e);
    }
  }

  private static void closeQuietly(OrtSession session) {
    if (session != null) {
      try {
        session.close();
      } catch (OrtException e) {
        // the open failed already; that failure is the one to report
      }
    }
  }
}
