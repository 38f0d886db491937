package io.mobiserve.model;

import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Everything the server needs to know about the model it serves: where the ONNX file is, what its input
 * looks like, how images are preprocessed for it, and its classes.
 *
 * @param name short name, e.g. the file name without {@code .onnx}
 * @param architecture a description for people, e.g. "MobileNetV3-Large (width 1.0, 224x224, 1000 classes)"
 * @param onnxFile the ONNX file
 * @param inputName the name of the model's only input
 * @param input the input's shape without the batch dimension
 * @param classes the number of classes the model outputs
 * @param labels the class names, possibly none
 * @param preprocessing the transform from pixels to input
 * @param trained false for generated models with random weights
 * @param notes a sentence for people about the model, possibly empty
 * @param fixedBatch the batch size the model's input fixes (exported without a dynamic batch axis), or
 *     empty when the batch dimension is dynamic; an engine never runs more images than this at once
 */
public record ModelSpec(
    String name,
    String architecture,
    Path onnxFile,
    String inputName,
    InputShape input,
    int classes,
    Labels labels,
    Preprocessing preprocessing,
    boolean trained,
    String notes,
    OptionalInt fixedBatch) {

  public ModelSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(architecture, "architecture");
    Objects.requireNonNull(onnxFile, "onnxFile");
    Objects.requireNonNull(inputName, "inputName");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(labels, "labels");
    Objects.requireNonNull(preprocessing, "preprocessing");
    Objects.requireNonNull(notes, "notes");
    Objects.requireNonNull(fixedBatch, "fixedBatch");
    if (fixedBatch.isPresent() && fixedBatch.getAsInt() < 1) {
      throw new IllegalArgumentException("a fixed batch size must be positive, not " + fixedBatch.getAsInt());
    }
    if (classes < 1) {
      throw new IllegalArgumentException("a model must have at least one class, not " + classes);
    }
    if (labels.isPresent() && labels.size() != classes) {
      throw new IllegalArgumentException(
          "the model has " + classes + " classes but " + labels.size() + " labels were given");
    }
  }

  /** A model with a dynamic batch dimension (the common case). */
  public ModelSpec(
      String name,
      String architecture,
      Path onnxFile,
      String inputName,
      InputShape input,
      int classes,
      Labels labels,
      Preprocessing preprocessing,
      boolean trained,
      String notes) {
    this(name, architecture, onnxFile, inputName, input, classes, labels, preprocessing, trained, notes,
        OptionalInt.empty());
  }

  /** This spec with other notes (everything else, the fixed batch included, kept). */
  public ModelSpec withNotes(String newNotes) {
    return new ModelSpec(name, architecture, onnxFile, inputName, input, classes, labels, preprocessing, trained,
        newNotes, fixedBatch);
  }
}
