package io.mobiserve.engine.tensorrt.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CacheKeyTest {
  private static final long WORKSPACE = 1L << 30;
  private static final String PROFILE = "batch=1/8/64 input=3x224x224";
  private static final CacheKey.Engine BASE = new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1",
      "NVIDIA H200", "9.0", "fp16", PROFILE, WORKSPACE);

  @Test
  void fileName_isModelNameAndSixteenHexDigits_andStable() {
    assertThat(BASE.fileName()).matches("mobilenetv3-large-[0-9a-f]{16}\\.engine");
    CacheKey.Engine same = new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0",
        "fp16", "batch=1/8/64 input=3x224x224", 1L << 30);
    assertThat(same.fileName()).isEqualTo(BASE.fileName());
    assertThat(same.canonical()).isEqualTo(BASE.canonical());
  }

  @Test
  void everyFieldChangesTheKeyAndTheFileName_theWorkspaceToo() {
    List<CacheKey.Engine> variants = List.of(
        BASE,
        new CacheKey.Engine("other-model", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", PROFILE, WORKSPACE),
        new CacheKey.Engine("mobilenetv3-large", "cd".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", PROFILE, WORKSPACE),
        new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.16.0", "NVIDIA H200", "9.0", "fp16", PROFILE, WORKSPACE),
        new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA L4", "9.0", "fp16", PROFILE, WORKSPACE),
        new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "8.9", "fp16", PROFILE, WORKSPACE),
        new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp32", PROFILE, WORKSPACE),
        withProfile("batch=2/8/64 input=3x224x224"),
        withProfile("batch=1/16/64 input=3x224x224"),
        withProfile("batch=1/8/32 input=3x224x224"),
        withProfile("batch=1/8/64 input=3x192x224"),
        withProfile("batch=1/8/64 input=3x224x192"),
        new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", PROFILE,
            WORKSPACE / 2));

    assertThat(variants.stream().map(CacheKey.Engine::canonical).collect(Collectors.toSet())).hasSize(variants.size());
    assertThat(variants.stream().map(CacheKey.Engine::fileName).collect(Collectors.toSet())).hasSize(variants.size());
  }

  @Test
  void canonical_valuesCannotForgeAnotherField() {
    CacheKey.Engine forged = new CacheKey.Engine("m\nprecision=fp32", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0",
        "fp16", PROFILE, WORKSPACE);

    assertThat(forged.canonical().lines().filter(line -> line.startsWith("precision="))).containsExactly("precision=fp16");
  }

  @Test
  void fileName_ofAnUnsafeModelName_staysInsideTheDirectory() {
    CacheKey.Engine unsafe = new CacheKey.Engine("../../etc/x y", "ab".repeat(32), "10.15.1", "g", "9.0", "fp32", PROFILE, WORKSPACE);

    assertThat(unsafe.fileName()).doesNotContain("/").doesNotStartWith(".").endsWith(".engine");
  }

  @Test
  void timingCacheKey_dependsOnTensorRtAndGpuOnly() {
    CacheKey.Timing key = new CacheKey.Timing("10.15.1", "NVIDIA H200", "9.0");

    assertThat(key.fileName()).matches("timing-[0-9a-f]{16}\\.cache");
    assertThat(new CacheKey.Timing("10.15.1", "NVIDIA H200", "9.0").fileName()).isEqualTo(key.fileName());
    assertThat(List.of(new CacheKey.Timing("10.16.0", "NVIDIA H200", "9.0"), new CacheKey.Timing("10.15.1", "NVIDIA L4", "9.0"),
        new CacheKey.Timing("10.15.1", "NVIDIA H200", "8.9")))
        .extracting(CacheKey.Timing::fileName)
        .doesNotContain(key.fileName())
        .doesNotHaveDuplicates();
  }

  @Test
  void sha256Of_isTheHexDigestOfTheFilesBytes(@TempDir Path dir) throws IOException {
    Path model = Files.writeString(dir.resolve("m.onnx"), "abc");

    assertThat(CacheKey.sha256Of(model)).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  private static CacheKey.Engine withProfile(String profile) {
    return new CacheKey.Engine("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", profile, WORKSPACE);
  }
}
