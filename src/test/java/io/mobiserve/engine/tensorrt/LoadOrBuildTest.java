package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.UnrecoverableEngineException;
import io.mobiserve.engine.tensorrt.cache.CacheKey;
import io.mobiserve.engine.tensorrt.cache.EngineCache;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine factory's order of cache, build and deserialization, with a real cache on disk and a fake
 * TensorRT: a plan reaches the cache only after it was deserialized and validated.
 */
class LoadOrBuildTest {
  private static final CacheKey.Engine KEY = new CacheKey.Engine("digits", "00".repeat(32), "10.15.1", "NVIDIA H200",
      "9.0", "fp16", "batch=1/8/16 input=3x64x64", 1L << 30);

  @TempDir Path dir;
  private EngineCache cache;

  /** Builds "plan N"; deserializes into the plan's text, refusing the plans it is told to. */
  private static final class FakeTensorRt implements TensorRtEngineFactory.PlanSource<String> {
    final List<String> calls = new ArrayList<>();
    final List<String> refused = new ArrayList<>();
    boolean lost;
    int builds;

    @Override
    public String deserialize(byte[] plan) throws EngineException {
      String text = new String(plan, StandardCharsets.UTF_8);
      calls.add("deserialize " + text);
      if (lost) {
        throw new UnrecoverableEngineException("cudaErrorIllegalAddress, code 700");
      }
      if (refused.contains(text)) {
        throw new EngineException("the TensorRT engine for digits does not match the model");
      }
      return text;
    }

    @Override
    public byte[] build() {
      builds++;
      calls.add("build");
      return ("plan " + builds).getBytes(StandardCharsets.UTF_8);
    }
  }

  private final FakeTensorRt tensorRt = new FakeTensorRt();

  @BeforeEach
  void createCache() {
    cache = new EngineCache(dir.resolve("engines"));
  }

  @Test
  void miss_buildsValidatesThenStores_andTheNextStartLoadsWithoutBuilding() throws EngineException {
    assertThat(TensorRtEngineFactory.loadOrBuild(cache, KEY, tensorRt)).isEqualTo("plan 1");
    assertThat(TensorRtEngineFactory.loadOrBuild(cache, KEY, new FakeTensorRt())).isEqualTo("plan 1");

    assertThat(tensorRt.calls).containsExactly("build", "deserialize plan 1");
  }

  @Test
  void builtPlanThatFailsValidation_isNeverStored() {
    tensorRt.refused.add("plan 1");

    assertThatThrownBy(() -> TensorRtEngineFactory.loadOrBuild(cache, KEY, tensorRt))
        .hasMessageContaining("does not match the model");

    assertThat(cache.load(KEY)).as("nothing for the next start to load, reject and rebuild").isEmpty();
  }

  @Test
  void cachedPlanThatFailsValidation_isRebuiltAndReplaced() throws EngineException {
    cache.store(KEY, "stale plan".getBytes(StandardCharsets.UTF_8));
    tensorRt.refused.add("stale plan");

    assertThat(TensorRtEngineFactory.loadOrBuild(cache, KEY, tensorRt)).isEqualTo("plan 1");

    assertThat(tensorRt.calls).containsExactly("deserialize stale plan", "build", "deserialize plan 1");
    assertThat(cache.load(KEY)).hasValueSatisfying(
        plan -> assertThat(new String(plan, StandardCharsets.UTF_8)).isEqualTo("plan 1"));
  }

  @Test
  void lostCudaContextWhileLoading_isNotAReasonToRebuild() {
    cache.store(KEY, "plan 0".getBytes(StandardCharsets.UTF_8));
    tensorRt.lost = true;

    assertThatThrownBy(() -> TensorRtEngineFactory.loadOrBuild(cache, KEY, tensorRt))
        .isInstanceOf(UnrecoverableEngineException.class);
    assertThat(tensorRt.builds).isZero();
  }
}
