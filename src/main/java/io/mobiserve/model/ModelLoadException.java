package io.mobiserve.model;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The server cannot serve a model file. The message names the file and says why, in words a user can act
 * on ("cannot serve model.onnx: the input has 1 channel; only 3-channel NCHW images are supported").
 */
public class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final String reason;

  public ModelLoadException(Path file, String reason) {
    this(file, reason, null);
  }

  public ModelLoadException(Path file, String reason, Throwable cause) {
    super("cannot serve " + file + ": " + reason, cause);
    this.file = Objects.requireNonNull(file, "file");
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** The model file that was refused. */
  public Path file() {
    return file;
  }

  /** Why, without the file name. */
  public String reason() {
    return reason;
  }
}
