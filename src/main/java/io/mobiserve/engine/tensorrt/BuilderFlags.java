package io.mobiserve.engine.tensorrt;

import java.util.Optional;
import org.bytedeco.tensorrt.global.nvinfer.BuilderFlag;

/**
 * Builder flags looked up by name, because TensorRT 11 removed some (kFP16 among them) and renumbered
 * others: code that names a missing flag degrades instead of failing to link or setting the wrong bit.
 */
final class BuilderFlags {
  private BuilderFlags() {}

  /** The flag called {@code name} (e.g. "kFP16") in the TensorRT presets on the class path, if any. */
  static Optional<BuilderFlag> named(String name) {
    try {
      return Optional.of(BuilderFlag.valueOf(name));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
