package io.mobiserve.engine.tensorrt.cache;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialized engines and timing caches on disk, one {@link CacheFile} per {@link CacheKey}.
 *
 * <p>A cache never stops the server: a missing, unreadable, corrupt or mismatched file is a miss (logged
 * as a warning when the file was there but unusable), and a failed store is a warning — the engine that
 * was just built still runs, it is only built again next time. A later store replaces a bad file.
 *
 * <p>Thread- and process-safe: stores are atomic renames of complete files.
 */
public final class EngineCache {
  private static final Logger LOG = LoggerFactory.getLogger(EngineCache.class);

  private final Path directory;

  public EngineCache(Path directory) {
    this.directory = Objects.requireNonNull(directory, "directory");
  }

  public Path directory() {
    return directory;
  }

  /** Where {@code key}'s entry lives. */
  public Path fileFor(CacheKey key) {
    return directory.resolve(key.fileName());
  }

  /** The payload stored for {@code key}, or empty on a miss of any kind. */
  public Optional<byte[]> load(CacheKey key) {
    Path file = fileFor(key);
    try {
      return CacheFile.read(file, key.canonical());
    } catch (CacheFile.InvalidCacheFileException e) {
      LOG.warn("ignoring TensorRT cache file {}: {}; it will be rebuilt and replaced", file, e.getMessage());
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot read TensorRT cache file {} ({}); building instead", file, e.toString());
    }
    return Optional.empty();
  }

  /**
   * Stores {@code payload} for {@code key}, creating the directory if needed.
   *
   * @return false when it could not be stored (a warning says why)
   */
  public boolean store(CacheKey key, byte[] payload) {
    Path file = fileFor(key);
    try {
      Files.createDirectories(directory);
      CacheFile.write(file, key.canonical(), payload);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot write TensorRT cache file {} ({}); the engine runs but will be built again next start",
          file, e.toString());
      return false;
    }
  }
}
