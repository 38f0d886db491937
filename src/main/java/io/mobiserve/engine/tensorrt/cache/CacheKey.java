package io.mobiserve.engine.tensorrt.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * What a file in the engine cache is for: a serialized engine ({@link Engine}) or a timing cache
 * ({@link Timing}). The canonical key is written into the file's header and checked on load, so a file
 * name collision (or a file copied from another machine) is a miss, never a wrong hit.
 */
public sealed interface CacheKey permits CacheKey.Engine, CacheKey.Timing {

  /** Every input that changes the cached bytes, one {@code name=value} per line, values URL-encoded. */
  String canonical();

  /** The file's name in the cache directory. */
  String fileName();

  /**
   * Identifies a serialized TensorRT engine: a plan only runs on the TensorRT version and GPU it was built
   * for, and is only right for the model bytes, precision and optimization profile it was built from.
   *
   * @param modelName the model's name, for people reading the cache directory
   * @param modelSha256 SHA-256 of the ONNX file's bytes, hex ({@link #sha256Of})
   * @param tensorRtVersion e.g. "10.15.1"
   * @param gpuName e.g. "NVIDIA H200"
   * @param computeCapability e.g. "9.0"
   * @param precision the resolved precision's label, "fp32" or "fp16"
   * @param profile the optimization profile in stable words, e.g. {@code "batch=1/8/64 input=3x224x224"}
   * @param workspaceBytes the builder's workspace limit: it bounds the tactics TensorRT may choose
   */
  record Engine(String modelName, String modelSha256, String tensorRtVersion, String gpuName,
      String computeCapability, String precision, String profile, long workspaceBytes) implements CacheKey {

    /** Bump when the builder would produce a different engine for the same fields. */
    static final int FORMAT = 1;

    public Engine {
      Objects.requireNonNull(modelName, "modelName");
      Objects.requireNonNull(modelSha256, "modelSha256");
      Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
      Objects.requireNonNull(gpuName, "gpuName");
      Objects.requireNonNull(computeCapability, "computeCapability");
      Objects.requireNonNull(precision, "precision");
      Objects.requireNonNull(profile, "profile");
      if (workspaceBytes < 1) {
        throw new IllegalArgumentException("workspace must be positive, not " + workspaceBytes);
      }
    }

    @Override
    public String canonical() {
      return CacheKey.canonical(
          "kind", "engine",
          "format", Integer.toString(FORMAT),
          "model", modelName,
          "model-sha256", modelSha256,
          "tensorrt", tensorRtVersion,
          "gpu", gpuName,
          "compute-capability", computeCapability,
          "precision", precision,
          "profile", profile,
          "workspace-bytes", Long.toString(workspaceBytes));
    }

    /** {@code <model-name>-<16 hex of SHA-256(canonical)>.engine}. */
    @Override
    public String fileName() {
      return safeFileStem(modelName) + "-" + shortHash(canonical()) + ".engine";
    }
  }

  /**
   * Identifies a TensorRT timing cache: kernel timings are shared by every model built on the same
   * TensorRT version and GPU, so one file serves them all and makes later builds faster.
   */
  record Timing(String tensorRtVersion, String gpuName, String computeCapability) implements CacheKey {

    public Timing {
      Objects.requireNonNull(tensorRtVersion, "tensorRtVersion");
      Objects.requireNonNull(gpuName, "gpuName");
      Objects.requireNonNull(computeCapability, "computeCapability");
    }

    @Override
    public String canonical() {
      return CacheKey.canonical(
          "kind", "timing-cache",
          "tensorrt", tensorRtVersion,
          "gpu", gpuName,
          "compute-capability", computeCapability);
    }

    /** {@code timing-<16 hex of SHA-256(canonical)>.cache}. */
    @Override
    public String fileName() {
      return "timing-" + shortHash(canonical()) + ".cache";
    }
  }

  /**
   * The SHA-256 of a model file's bytes, hex: the model's part of an engine key. Weights kept in external
   * data files next to the ONNX file are not covered: such models must change their file name when the
   * weights change.
   */
  static String sha256Of(Path file) throws IOException {
    MessageDigest digest = CacheFile.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** {@code name=value} lines in the given order; values are URL-encoded so no value can forge a line. */
  private static String canonical(String... namesAndValues) {
    LinkedHashMap<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      fields.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return fields.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("\n"));
  }

  /** The first 16 hex digits of the SHA-256 of {@code canonical}. */
  private static String shortHash(String canonical) {
    byte[] digest = CacheFile.sha256().digest(canonical.getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(digest).substring(0, 16);
  }

  /** A model name made safe for a file name: letters, digits, '.', '_' and '-', at most 64 characters. */
  private static String safeFileStem(String name) {
    String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
    if (safe.isEmpty() || safe.startsWith(".")) {
      safe = "model" + safe;
    }
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }
}
