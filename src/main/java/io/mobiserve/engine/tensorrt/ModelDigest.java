package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.EngineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The SHA-256 of an ONNX file's bytes, the model's part of an engine cache key. Weights kept in external
 * data files next to the ONNX file are not covered: such models must change their file name when the
 * weights change.
 */
final class ModelDigest {
  private ModelDigest() {}

  static String sha256(Path onnxFile) throws EngineException {
    MessageDigest digest = CacheKeys.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(onnxFile), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new EngineException("cannot read " + onnxFile + " to key the TensorRT engine cache: " + e, e);
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
