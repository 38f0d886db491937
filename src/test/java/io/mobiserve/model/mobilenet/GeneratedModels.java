package io.mobiserve.model.mobilenet;

import io.mobiserve.model.onnx.ModelProto;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Generates each (config, folding) once per test JVM: Large takes a second or two and 22 MB. */
final class GeneratedModels {
  private record Key(MobileNetV3Config config, boolean folded) {}

  private static final Map<Key, ModelProto> MODELS = new ConcurrentHashMap<>();
  private static final Map<Key, byte[]> BYTES = new ConcurrentHashMap<>();

  static final MobileNetV3Config LARGE = MobileNetV3Config.large(7);
  static final MobileNetV3Config SMALL = MobileNetV3Config.small(7);

  private GeneratedModels() {}

  static ModelProto model(MobileNetV3Config config, boolean folded) {
    return MODELS.computeIfAbsent(new Key(config, folded), k -> MobileNetV3OnnxBuilder.build(k.config(), k.folded()));
  }

  static byte[] bytes(MobileNetV3Config config, boolean folded) {
    return BYTES.computeIfAbsent(new Key(config, folded), k -> model(k.config(), k.folded()).toByteArray());
  }
}
