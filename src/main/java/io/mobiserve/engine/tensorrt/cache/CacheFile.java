package io.mobiserve.engine.tensorrt.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The on-disk format of one cache entry, and writing it so no reader ever sees half a file.
 *
 * <p>Layout (big-endian): magic {@code "MSTRTC"}, format version (int), key length (int), the canonical key
 * (UTF-8), payload length (long), SHA-256 of the payload (32 bytes), the payload. Reading checks every
 * part, and that nothing follows the payload, so a truncated, corrupt or foreign file is reported as such.
 */
final class CacheFile {
  private static final byte[] MAGIC = "MSTRTC".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  private static final int DIGEST_BYTES = 32;

  private CacheFile() {}

  /** A file that exists but cannot be used: the message says why. */
  static final class InvalidCacheFileException extends IOException {
    private static final long serialVersionUID = 1L;

    InvalidCacheFileException(String message) {
      super(message);
    }
  }

  /**
   * Reads the payload stored under {@code canonicalKey}.
   *
   * @return empty when the file does not exist
   * @throws InvalidCacheFileException when the file is truncated, corrupt, of another format, or for another key
   * @throws IOException when the file cannot be read
   */
  static Optional<byte[]> read(Path file, String canonicalKey) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte[] magic = new byte[MAGIC.length];
    byte[] expectedKey = canonicalKey.getBytes(StandardCharsets.UTF_8);
    if (in.remaining() < MAGIC.length + 2 * Integer.BYTES) {
      throw new InvalidCacheFileException("too short for a cache file header (" + bytes.length + " bytes)");
    }
    in.get(magic);
    if (!MessageDigest.isEqual(magic, MAGIC)) {
      throw new InvalidCacheFileException("not a mobiserve TensorRT cache file (bad magic)");
    }
    int version = in.getInt();
    if (version != VERSION) {
      throw new InvalidCacheFileException("cache file format " + version + ", this build reads " + VERSION);
    }
    int keyLength = in.getInt();
    if (keyLength < 0 || keyLength > in.remaining()) {
      throw new InvalidCacheFileException("truncated in the key (" + keyLength + " bytes announced)");
    }
    byte[] key = new byte[keyLength];
    in.get(key);
    if (!MessageDigest.isEqual(key, expectedKey)) {
      throw new InvalidCacheFileException(
          "written for another key (" + new String(key, StandardCharsets.UTF_8).replace("\n", ", ") + ")");
    }
    if (in.remaining() < Long.BYTES + DIGEST_BYTES) {
      throw new InvalidCacheFileException("truncated in the header");
    }
    long payloadLength = in.getLong();
    byte[] digest = new byte[DIGEST_BYTES];
    in.get(digest);
    if (payloadLength != in.remaining()) {
      throw new InvalidCacheFileException("payload of " + in.remaining() + " bytes where the header announces "
          + payloadLength + " (truncated or appended to)");
    }
    byte[] payload = new byte[in.remaining()];
    in.get(payload);
    if (!MessageDigest.isEqual(digest, sha256().digest(payload))) {
      throw new InvalidCacheFileException("payload does not match its SHA-256 (corrupt)");
    }
    return Optional.of(payload);
  }

  /**
   * Writes {@code payload} under {@code canonicalKey} to {@code file}, atomically: the bytes go to a
   * temporary file in the same directory, are forced to disk, and the temporary file is renamed over
   * {@code file}. Concurrent writers of the same file each rename a complete file; the last one wins.
   */
  static void write(Path file, String canonicalKey, byte[] payload) throws IOException {
    Path directory = file.toAbsolutePath().getParent();
    Path temporary = Files.createTempFile(directory, file.getFileName() + ".", ".tmp");
    try {
      try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
        writeFully(channel, header(canonicalKey, payload));
        writeFully(channel, ByteBuffer.wrap(payload));
        channel.force(true);
      }
      Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temporary);
    }
    forceDirectory(directory);
  }

  private static ByteBuffer header(String canonicalKey, byte[] payload) {
    byte[] key = canonicalKey.getBytes(StandardCharsets.UTF_8);
    ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 2 * Integer.BYTES + key.length + Long.BYTES + DIGEST_BYTES);
    header.put(MAGIC).putInt(VERSION).putInt(key.length).put(key).putLong(payload.length)
        .put(sha256().digest(payload));
    return header.flip();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
  }

  /** Makes the rename itself durable; best effort, since not every file system lets a directory be opened. */
  private static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // The file is complete either way; only its survival of a power cut is less certain.
    }
  }
}
