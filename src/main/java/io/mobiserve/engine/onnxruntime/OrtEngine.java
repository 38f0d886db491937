package io.mobiserve.engine.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.EngineInfo;
import io.mobiserve.engine.InferenceEngine;
import io.mobiserve.engine.Logits;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;

/**
 * The CPU engine: one ONNX Runtime session running a {@link ModelSpec}'s model in fp32.
 *
 * <p>As {@link InferenceEngine} requires, one instance runs one batch at a time: {@link #infer} must not
 * be called concurrently on the same instance (the session itself would allow it, but the instance keeps
 * a padding buffer, and each session already uses all its intra-op threads). {@link #info()} is safe from
 * any thread; {@link #close()} must not race with {@link #infer}.
 *
 * <p>Pass <b>direct, native-order</b> buffers to {@link #infer}: ONNX Runtime's Java API runs on those in
 * place, and copies any other buffer (a heap buffer, or a direct one in the wrong byte order) first.
 *
 * <p>Models whose batch dimension is fixed (see {@link ModelSpec#fixedBatch()}) take at most that many
 * images per call; smaller batches are padded with zeros to the fixed size, and only the real rows are
 * returned.
 */
public final class OrtEngine implements InferenceEngine {
  /** ORT allows one environment per process; every session in this JVM shares it. */
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  /** The backend's name in {@link EngineInfo}, logs, metrics and ModelInfo. */
  public static final String BACKEND = "onnxruntime-cpu";

  private final OrtSession session;
  private final String inputName;
  private final InputShape shape;
  private final int classes;
  private final int fixedBatch; // 0 when the batch dimension is dynamic
  private final EngineInfo info;
  private FloatBuffer padded; // only for fixed-batch models; allocated on first short batch

  private OrtEngine(OrtSession session, ModelSpec spec, int maxBatch) {
    this.session = session;
    this.inputName = spec.inputName();
    this.shape = spec.input();
    this.classes = spec.classes();
    this.fixedBatch = spec.fixedBatch().orElse(0);
    this.info = new EngineInfo(BACKEND, "fp32", maxBatch);
  }

  /**
   * Opens a session for {@code spec}'s ONNX file.
   *
   * @throws EngineException when ONNX Runtime cannot create the session
   */
  public static OrtEngine open(ModelSpec spec, OrtEngineOptions options) throws EngineException {
    int maxBatch = spec.fixedBatch().isPresent()
        ? Math.min(options.maxBatch(), spec.fixedBatch().getAsInt())
        : options.maxBatch();
    try (SessionOptions sessionOptions = sessionOptions(options)) {
      OrtSession session = ENV.createSession(spec.onnxFile().toString(), sessionOptions);
      return new OrtEngine(session, spec, maxBatch);
    } catch (OrtException e) {
      throw new EngineException(BACKEND + ": cannot open " + spec.onnxFile() + ": " + e.getMessage(), e);
    }
  }

  private static SessionOptions sessionOptions(OrtEngineOptions options) throws OrtException {
    SessionOptions sessionOptions = new SessionOptions();
    try {
      sessionOptions.setOptimizationLevel(SessionOptions.OptLevel.ALL_OPT);
      sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
      // One batch at a time per session: parallelism comes from intra-op threads and from running
      // several engines, so inter-op threads would only compete for the same cores.
      sessionOptions.setInterOpNumThreads(1);
      sessionOptions.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
      sessionOptions.setCPUArenaAllocator(true);
      // ORT's worker threads spin between operators by default, which takes the cores away from the
      // threads that receive, decode and answer requests in the same process.
      sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
      return sessionOptions;
    } catch (OrtException | RuntimeException e) {
      sessionOptions.close();
      throw e;
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Reads {@code input} from its position to its limit without moving its position.
   *
   * @throws IllegalArgumentException when {@code batchSize} is outside 1..maxBatch or {@code input} does not
   *     hold exactly {@code batchSize × C × H × W} floats (a caller's bug, not an engine failure)
   */
  @Override
  public Logits infer(FloatBuffer input, int batchSize) throws EngineException {
    if (batchSize < 1 || batchSize > info.maxBatch()) {
      throw new IllegalArgumentException(
          "batch size must be from 1 to " + info.maxBatch() + ", not " + batchSize);
    }
    long expected = (long) batchSize * shape.elementCount();
    if (input.remaining() != expected) {
      throw new IllegalArgumentException("a batch of " + batchSize + " images of " + shape.channels() + "x"
          + shape.height() + "x" + shape.width() + " needs " + expected + " floats, but the buffer holds "
          + input.remaining());
    }
    int runBatch = fixedBatch > 0 ? fixedBatch : batchSize;
    // slice(): ORT reads the buffer from index 0, and the caller's position stays where it was.
    FloatBuffer data = runBatch == batchSize ? input.slice() : padTo(input, runBatch);
    long[] tensorShape = {runBatch, shape.channels(), shape.height(), shape.width()};
    try (OnnxTensor tensor = OnnxTensor.createTensor(ENV, data, tensorShape);
        OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
      return logits(result.get(0), runBatch, batchSize);
    } catch (OrtException e) {
      throw new EngineException(BACKEND + ": inference failed on a batch of " + batchSize + ": "
          + e.getMessage(), e);
    }
  }

  private Logits logits(OnnxValue output, int runBatch, int batchSize) throws EngineException {
    if (!(output instanceof OnnxTensor)) {
      throw new EngineException(BACKEND + ": the model's output is " + output.getInfo() + ", not a tensor");
    }
    long[] outShape = ((OnnxTensor) output).getInfo().getShape();
    if (!Arrays.equals(outShape, new long[] {runBatch, classes})) {
      throw new EngineException(BACKEND + ": expected logits of shape [" + runBatch + ", " + classes
          + "], the model produced " + Arrays.toString(outShape));
    }
    FloatBuffer buffer = ((OnnxTensor) output).getFloatBuffer();
    float[] values = new float[batchSize * classes];
    buffer.get(values); // padded rows, if any, are left behind
    return new Logits(values, batchSize, classes);
  }

  /** Copies the short batch into a reusable zeroed buffer of the model's fixed batch size. */
  private FloatBuffer padTo(FloatBuffer input, int runBatch) {
    int capacity = runBatch * shape.elementCount();
    if (padded == null) {
      padded = ByteBuffer.allocateDirect(capacity * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
    padded.clear();
    padded.put(input.duplicate());
    // Zero the padding images: ORT computes them anyway, and stale pixels would only confuse a debugger.
    float[] zeros = new float[shape.elementCount()];
    while (padded.hasRemaining()) {
      padded.put(zeros, 0, Math.min(zeros.length, padded.remaining()));
    }
    padded.flip();
    return padded;
  }

  @Override
  public EngineInfo info() {
    return info;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // close() cannot throw checked exceptions (try-with-resources callers); a failed release is a bug
      // worth surfacing rather than swallowing.
      throw new IllegalStateException(BACKEND + ": closing the session failed", e);
    }
  }
}
