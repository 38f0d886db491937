package io.mobiserve.engine.tensorrt;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.stream.Collectors;

/** Shared by the cache keys: canonical text from named fields, and the short hash file names carry. */
final class CacheKeys {
  private CacheKeys() {}

  /** {@code name=value} lines in the given order; values are URL-encoded so no value can forge a line. */
  static String canonical(LinkedHashMap<String, String> fields) {
    return fields.entrySet().stream()
        .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("\n"));
  }

  /** The first 16 hex digits of the SHA-256 of {@code canonical}. */
  static String shortHash(String canonical) {
    return sha256Hex(canonical.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** A model name made safe for a file name: letters, digits, '.', '_' and '-', at most 64 characters. */
  static String safeFileStem(String name) {
    String safe = name.replaceAll("[^A-Za-z0-9._-]", "_");
    if (safe.isEmpty() || safe.startsWith(".")) {
      safe = "model" + safe;
    }
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }

  static LinkedHashMap<String, String> fields(String... namesAndValues) {
    LinkedHashMap<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      fields.put(namesAndValues[i], namesAndValues[i + 1]);
    }
    return fields;
  }
}
