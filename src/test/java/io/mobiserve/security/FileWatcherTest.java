package io.mobiserve.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reloads follow the files' content: once per change, a failed one not retried until the files change again. */
class FileWatcherTest {
  private static final Duration PERIOD = Duration.ofMillis(20);

  @TempDir
  Path dir;

  @Test
  void watch_reloadsOncePerChangeOfContent_evenWhenTheModificationTimeStaysTheSame() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "a:1");
    AtomicInteger reloads = new AtomicInteger();
    try (FileWatcher watcher = FileWatcher.every(PERIOD)) {
      watcher.watch("test file", List.of(file), reloads::incrementAndGet);
      Thread.sleep(10 * PERIOD.toMillis());
      int beforeChange = reloads.get();

      var modified = Files.getLastModifiedTime(file);
      Files.writeString(file, "a:2");
      Files.setLastModifiedTime(file, modified);
      awaitAtLeast(reloads, 1);
      Thread.sleep(10 * PERIOD.toMillis());

      assertThat(beforeChange).isZero();
      assertThat(reloads.get()).isEqualTo(1);
    }
  }

  @Test
  void watch_afterAFailedReload_triesAgainOnlyWhenTheFilesChangeAgain() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "good");
    AtomicInteger attempts = new AtomicInteger();
    try (FileWatcher watcher = FileWatcher.every(PERIOD)) {
      watcher.watch("test file", List.of(file), () -> {
        attempts.incrementAndGet();
        if (content(file).equals("bad")) {
          throw new CredentialFileException(file, "bad content");
        }
      });

      Files.writeString(file, "bad");
      awaitAtLeast(attempts, 1);
      Thread.sleep(10 * PERIOD.toMillis());
      int afterFailure = attempts.get();
      Files.writeString(file, "good again");
      awaitAtLeast(attempts, 2);

      assertThat(afterFailure).isEqualTo(1);
      assertThat(attempts.get()).isEqualTo(2);
    }
  }

  @Test
  void watch_aFileThatDisappearsCountsAsAChange() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), "a:1");
    AtomicInteger reloads = new AtomicInteger();
    try (FileWatcher watcher = FileWatcher.every(PERIOD)) {
      watcher.watch("test file", List.of(file), reloads::incrementAndGet);

      Files.delete(file);

      awaitAtLeast(reloads, 1);
    }
  }

  private static String content(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  static void awaitAtLeast(AtomicInteger counter, int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (counter.get() < count) {
      assertThat(System.nanoTime()).as("waited for %d, have %d", count, counter.get()).isLessThan(deadline);
      Thread.sleep(5);
    }
  }
}
