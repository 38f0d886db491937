package io.mobiserve.engine.onnxruntime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.mobiserve.engine.EngineException;
import io.mobiserve.model.ModelSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * The plainest way to run a model with ONNX Runtime's Java API, for comparison in benchmarks: one session
 * (opened as {@link OrtEngine} opens its own), one direct input buffer wrapped once as a tensor of a fixed
 * batch, and {@code session.run} in a loop, its outputs allocated by ONNX Runtime each time and dropped.
 * No batcher, no copies, no checks: the ceiling {@link OrtEngine} is measured against.
 *
 * <p>One thread at a time.
 */
public final class BareOrtLoop implements AutoCloseable {
  private final OrtSession session;
  private final OnnxTensor input;
  private final Map<String, OnnxTensor> inputs;
  private final int batch;

  private BareOrtLoop(OrtSession session, OnnxTensor input, String inputName, int batch) {
    this.session = session;
    this.input = input;
    this.inputs = Map.of(inputName, input);
    this.batch = batch;
  }

  /** Opens the model for batches of {@code batch} images, with random-looking but fixed input values. */
  public static BareOrtLoop open(ModelSpec spec, int batch, OrtEngineOptions options) throws EngineException {
    int floats = Math.multiplyExact(batch, spec.input().elementCount());
    FloatBuffer data = ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    for (int i = 0; i < floats; i++) {
      data.put(i, (float) Math.sin(i * 0.001));
    }
    OrtSession session = null;
    try {
      session = OrtSessions.open(spec.onnxFile(), options);
      OnnxTensor tensor = OnnxTensor.createTensor(OrtSessions.ENV, data,
          new long[] {batch, spec.input().channels(), spec.input().height(), spec.input().width()});
      return new BareOrtLoop(session, tensor, spec.inputName(), batch);
    } catch (OrtException e) {
      if (session != null) {
        try {
          session.close();
        } catch (OrtException ignored) {
          // the open failed already; that failure is the one to report
        }
      }
      throw new EngineException("cannot open " + spec.onnxFile() + ": " + e.getMessage(), e);
    }
  }

  /** Runs the batch once. */
  public void run() throws EngineException {
    try {
      session.run(inputs).close();
    } catch (OrtException e) {
      throw new EngineException("inference failed: " + e.getMessage(), e);
    }
  }

  public int batch() {
    return batch;
  }

  @Override
  public void close() {
    input.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("closing the session failed", e);
    }
  }
}
