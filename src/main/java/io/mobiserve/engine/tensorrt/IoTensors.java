package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import io.mobiserve.model.ModelSpec;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that a deserialized engine's inputs and outputs are the ones the {@link ModelSpec} promises —
 * one float32 image input {@code [N, C, H, W]} and one float32 logits output {@code [N, classes]} — so a
 * stale or foreign engine fails at load, not with garbage logits at run time.
 */
final class IoTensors {
  private static final Logger LOG = LoggerFactory.getLogger(IoTensors.class);

  private IoTensors() {}

  /**
   * One I/O tensor as the engine describes it.
   *
   * @param name the tensor's name
   * @param input true for an input, false for an output
   * @param dims its shape, -1 for dynamic dimensions
   * @param dataType the data type's name, e.g. "kFLOAT"
   */
  record IoTensor(String name, boolean input, long[] dims, String dataType) {
    @Override
    public String toString() {
      return (input ? "input " : "output ") + name + " " + Arrays.toString(dims) + " " + dataType;
    }
  }

  /** The names to bind. */
  record Binding(String inputName, String outputName) {}

  /**
   * {@link #validate} for a deserialized engine, read through the engine's own I/O queries. A mismatch, or a
   * query that throws (a {@link RuntimeException} from the bindings), refuses the plan with an
   * {@link EngineException} and is logged as a leak before it is thrown: a deserialized engine (its weights
   * in GPU memory) cannot be freed from Java, so a plan that fails here stays allocated until the process
   * exits.
   */
  static Binding validateOrReportLeak(Supplier<List<IoTensor>> engineTensors, ModelSpec model, BatchProfile profile)
      throws EngineException {
    try {
      return validate(engineTensors.get(), model, profile);
    } catch (EngineException e) {
      throw reportLeak(model, "that does not match the model", e);
    } catch (RuntimeException e) {
      throw reportLeak(model, "whose I/O tensors cannot be read", new EngineException(
          "cannot read the I/O tensors of the TensorRT engine for " + model.name() + ": " + e, e));
    }
  }

  private static EngineException reportLeak(ModelSpec model, String why, EngineException e) {
    LOG.warn("discarding a TensorRT engine for {} {}; its GPU memory stays allocated until the process exits "
        + "(TensorRT engines cannot be freed from Java): {}", model.name(), why, e.getMessage());
    return e;
  }

  static Binding validate(List<IoTensor> tensors, ModelSpec model, BatchProfile profile) throws EngineException {
    List<IoTensor> inputs = tensors.stream().filter(IoTensor::input).toList();
    List<IoTensor> outputs = tensors.stream().filter(t -> !t.input()).toList();
    if (inputs.size() != 1 || outputs.size() != 1) {
      throw mismatch(model, "one input and one output", tensors);
    }
    IoTensor input = inputs.get(0);
    IoTensor output = outputs.get(0);
    if (!input.name().equals(model.inputName())) {
      throw mismatch(model, "an input named " + model.inputName(), tensors);
    }
    long batch = profile.fixed() ? profile.max() : -1;
    long[] expectedInput = {batch, model.input().channels(), model.input().height(), model.input().width()};
    if (!Arrays.equals(input.dims(), expectedInput)) {
      throw mismatch(model, "input dims " + Arrays.toString(expectedInput), tensors);
    }
    long[] expectedOutput = {batch, model.classes()};
    if (!Arrays.equals(output.dims(), expectedOutput)) {
      throw mismatch(model, "output dims " + Arrays.toString(expectedOutput), tensors);
    }
    if (!"kFLOAT".equals(input.dataType()) || !"kFLOAT".equals(output.dataType())) {
      throw mismatch(model, "float32 (kFLOAT) input and output", tensors);
    }
    return new Binding(input.name(), output.name());
  }

  private static EngineException mismatch(ModelSpec model, String expected, List<IoTensor> tensors) {
    return new EngineException("the TensorRT engine for " + model.name() + " does not match the model: expected "
        + expected + ", the engine has " + tensors);
  }
}
