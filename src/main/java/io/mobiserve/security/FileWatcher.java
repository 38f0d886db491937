package io.mobiserve.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads what was read from files when the files change: certificates, keys, CA bundles, token lists.
 *
 * <p>It looks every {@code period} at the files' bytes, not their modification times: Kubernetes and
 * cert-manager replace a Secret's files by swapping a symlink, a person may copy a file over another within
 * the same second, and either way the content is what matters. When the bytes of any of a watch's files
 * differ from those last seen, the watch's {@link Reload} runs; if it fails (a half-written file, a key that
 * does not match its certificate yet), the failure is logged and whatever was loaded before stays in use,
 * and the reload is tried again when the files change again. Files of a few kilobytes, read every few
 * seconds on one thread of its own: nothing on a request's path.
 *
 * <p>Thread-safe. Reloads run one at a time on the watcher's thread.
 */
public final class FileWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FileWatcher.class);

  private final ScheduledExecutorService thread;
  private final Duration period;

  private FileWatcher(Duration period) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("the reload period must be positive, not " + period);
    }
    this.period = period;
    this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread watcher = new Thread(runnable, "file-watcher");
      watcher.setDaemon(true);
      return watcher;
    });
  }

  /** A watcher that looks at its files every {@code period}. */
  public static FileWatcher every(Duration period) {
    return new FileWatcher(period);
  }

  /** Reads the files again and puts what it read in place; throws, changing nothing, when they are not usable. */
  @FunctionalInterface
  public interface Reload {
    void reload() throws CredentialFileException;
  }

  /**
   * Watches {@code files}, running {@code reload} whenever their content changes. The caller has loaded
   * them once already (at start, where a failure stops the server); this takes their present content as
   * what was loaded.
   *
   * @param what what the files hold, for the log ("TLS certificate and key")
   */
  public void watch(String what, List<Path> files, Reload reload) {
    Watch watch = new Watch(what, List.copyOf(files), reload);
    thread.scheduleWithFixedDelay(watch::check, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }

  private static final class Watch {
    private final String what;
    private final List<Path> files;
    private final Reload reload;
    private byte[] seen;

    Watch(String what, List<Path> files, Reload reload) {
      this.what = what;
      this.files = files;
      this.reload = reload;
      this.seen = digest(files);
    }

    void check() {
      byte[] now = digest(files);
      if (Arrays.equals(now, seen)) {
        return;
      }
      seen = now;
      try {
        reload.reload();
        log.info("reloaded the {} from {}", what, files);
      } catch (CredentialFileException | RuntimeException e) {
        log.warn("the {} changed but cannot be used, so the previous one stays in use until the files change"
            + " again: {}", what, e.getMessage());
      }
    }

    /** A digest of the files' bytes, a missing or unreadable file counting as its own content. */
    private static byte[] digest(List<Path> files) {
      MessageDigest digest = sha256();
      for (Path file : files) {
        try {
          digest.update(Files.readAllBytes(file));
        } catch (IOException e) {
          digest.update(("unreadable:" + e.getClass().getName()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        digest.update((byte) 0);
      }
      return digest.digest();
    }
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
