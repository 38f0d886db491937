package io.mobiserve.engine.tensorrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class EngineCacheTest {
  private static final CacheKey.Engine KEY = key("fp16");

  @TempDir Path dir;
  private EngineCache cache;
  private final ListAppender<ILoggingEvent> log = new ListAppender<>();
  private final Logger cacheLogger = (Logger) LoggerFactory.getLogger(EngineCache.class);

  @BeforeEach
  void captureLog() {
    cache = new EngineCache(dir.resolve("engines"));
    log.start();
    cacheLogger.addAppender(log);
  }

  @AfterEach
  void releaseLog() {
    cacheLogger.detachAppender(log);
  }

  @Test
  void load_ofAnEmptyCache_isAQuietMiss() {
    assertThat(cache.load(KEY)).isEmpty();
    assertThat(log.list).isEmpty();
  }

  @Test
  void store_thenLoad_returnsTheSameBytes_andLeavesNoTemporaryFile() throws IOException {
    byte[] plan = randomBytes(100_000, 1);

    assertThat(cache.store(KEY, plan)).isTrue();

    assertThat(cache.load(KEY)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(plan));
    try (Stream<Path> files = Files.list(cache.directory())) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(KEY.fileName());
    }
  }

  @Test
  void load_ofAnotherKey_isAMiss() {
    cache.store(KEY, randomBytes(10, 1));

    assertThat(cache.load(key("fp32"))).isEmpty();
  }

  @Test
  void load_ofATruncatedFile_isAMissWithAWarning() throws IOException {
    cache.store(KEY, randomBytes(10_000, 2));
    Path file = cache.fileFor(KEY);
    byte[] whole = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(whole, whole.length - 100));

    assertThat(cache.load(KEY)).isEmpty();
    assertWarned("truncated");
  }

  @Test
  void load_ofACorruptPayload_isAMissWithAWarning() throws IOException {
    cache.store(KEY, randomBytes(10_000, 3));
    Path file = cache.fileFor(KEY);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 10] ^= 0x40;
    Files.write(file, bytes);

    assertThat(cache.load(KEY)).isEmpty();
    assertWarned("corrupt");
  }

  @Test
  void load_ofAFileWrittenForAnotherKey_isAMiss() throws IOException {
    // As if two keys' names collided, or a file were copied in from another machine.
    EngineCache other = new EngineCache(dir.resolve("other"));
    other.store(key("fp32"), randomBytes(100, 4));
    Files.createDirectories(cache.directory());
    Files.copy(other.fileFor(key("fp32")), cache.fileFor(KEY));

    assertThat(cache.load(KEY)).isEmpty();
    assertWarned("another key");
  }

  @Test
  void load_ofForeignOrEmptyFiles_isAMiss() throws IOException {
    Files.createDirectories(cache.directory());
    for (byte[] content : List.of(new byte[0], "not an engine at all, just text".getBytes(), randomBytes(5000, 5))) {
      Files.write(cache.fileFor(KEY), content);

      assertThat(cache.load(KEY)).isEmpty();
    }
    assertThat(log.list).hasSize(3);
  }

  @Test
  void store_replacesABadFile() throws IOException {
    Files.createDirectories(cache.directory());
    Files.write(cache.fileFor(KEY), "garbage".getBytes());
    byte[] plan = randomBytes(1000, 6);

    assertThat(cache.store(KEY, plan)).isTrue();

    assertThat(cache.load(KEY)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(plan));
  }

  @Test
  void concurrentStoresOfOneKey_leaveOneValidFile() throws Exception {
    int writers = 8;
    List<byte[]> plans = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      plans.add(randomBytes(200_000 + i, 10 + i));
    }
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (byte[] plan : plans) {
        results.add(pool.submit(() -> {
          start.await();
          boolean stored = true;
          for (int round = 0; round < 5; round++) {
            stored &= cache.store(KEY, plan);
            // Readers racing the writers must only ever see a complete file of one of them.
            Optional<byte[]> seen = cache.load(KEY);
            assertThat(seen).isPresent();
            assertThat(plans).anySatisfy(p -> assertThat(seen.get()).isEqualTo(p));
          }
          return stored;
        }));
      }
      start.countDown();
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }

    Optional<byte[]> winner = cache.load(KEY);
    assertThat(winner).isPresent();
    assertThat(plans).anySatisfy(p -> assertThat(winner.get()).isEqualTo(p));
    try (Stream<Path> files = Files.list(cache.directory())) {
      assertThat(files).hasSize(1);
    }
    assertThat(log.list).isEmpty();
  }

  @Test
  void aDirectoryThatIsAFile_givesMissesAndFailedStores_withWarnings_neverExceptions() throws IOException {
    Path notADirectory = Files.writeString(dir.resolve("file"), "x");
    EngineCache broken = new EngineCache(notADirectory);

    assertThat(broken.load(KEY)).isEmpty();
    assertThat(broken.store(KEY, new byte[] {1, 2, 3})).isFalse();
    assertWarned(notADirectory.toString());
  }

  @Test
  void timingCache_isStoredBesideEngines_underItsOwnKey() {
    CacheKey.Timing timing = new CacheKey.Timing("10.15.1", "NVIDIA H200", "9.0");
    byte[] blob = randomBytes(3000, 7);

    cache.store(timing, blob);
    cache.store(KEY, randomBytes(100, 8));

    assertThat(cache.load(timing)).hasValueSatisfying(bytes -> assertThat(bytes).isEqualTo(blob));
    assertThat(cache.fileFor(timing)).isNotEqualTo(cache.fileFor(KEY));
  }

  private void assertWarned(String fragment) {
    assertThat(log.list)
        .anySatisfy(event -> {
          assertThat(event.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
          assertThat(event.getFormattedMessage()).contains(fragment);
        });
  }

  private static CacheKey.Engine key(String precision) {
    return new CacheKey.Engine("digits", "00".repeat(32), "10.15.1", "NVIDIA H200", "9.0", precision,
        "batch=1/8/64 input=3x64x64", 1L << 30);
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
