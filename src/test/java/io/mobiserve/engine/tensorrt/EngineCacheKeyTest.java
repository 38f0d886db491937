package io.mobiserve.engine.tensorrt;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.model.InputShape;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class EngineCacheKeyTest {
  private static final BatchProfile PROFILE = new BatchProfile(1, 8, 64, false, new InputShape(3, 224, 224));
  private static final EngineCacheKey BASE = new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1",
      "NVIDIA H200", "9.0", "fp16", PROFILE);

  @Test
  void fileName_isModelNameAndSixteenHexDigits_andStable() {
    assertThat(BASE.fileName()).matches("mobilenetv3-large-[0-9a-f]{16}\\.engine");
    EngineCacheKey same = new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0",
        "fp16", new BatchProfile(1, 8, 64, false, new InputShape(3, 224, 224)));
    assertThat(same.fileName()).isEqualTo(BASE.fileName());
    assertThat(same.canonical()).isEqualTo(BASE.canonical());
  }

  @Test
  void everyFieldChangesTheKeyAndTheFileName() {
    List<EngineCacheKey> variants = List.of(
        BASE,
        new EngineCacheKey("other-model", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", PROFILE),
        new EngineCacheKey("mobilenetv3-large", "cd".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", PROFILE),
        new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.16.0", "NVIDIA H200", "9.0", "fp16", PROFILE),
        new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA L4", "9.0", "fp16", PROFILE),
        new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "8.9", "fp16", PROFILE),
        new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp32", PROFILE),
        withProfile(new BatchProfile(2, 8, 64, false, new InputShape(3, 224, 224))),
        withProfile(new BatchProfile(1, 16, 64, false, new InputShape(3, 224, 224))),
        withProfile(new BatchProfile(1, 8, 32, false, new InputShape(3, 224, 224))),
        withProfile(new BatchProfile(1, 8, 64, false, new InputShape(3, 192, 224))),
        withProfile(new BatchProfile(1, 8, 64, false, new InputShape(3, 224, 192))));

    assertThat(variants.stream().map(EngineCacheKey::canonical).collect(Collectors.toSet())).hasSize(variants.size());
    assertThat(variants.stream().map(EngineCacheKey::fileName).collect(Collectors.toSet())).hasSize(variants.size());
  }

  @Test
  void canonical_valuesCannotForgeAnotherField() {
    EngineCacheKey forged = new EngineCacheKey("m\nprecision=fp32", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0",
        "fp16", PROFILE);

    assertThat(forged.canonical().lines().filter(line -> line.startsWith("precision="))).containsExactly("precision=fp16");
  }

  @Test
  void fileName_ofAnUnsafeModelName_staysInsideTheDirectory() {
    EngineCacheKey unsafe = new EngineCacheKey("../../etc/x y", "ab".repeat(32), "10.15.1", "g", "9.0", "fp32", PROFILE);

    assertThat(unsafe.fileName()).doesNotContain("/").doesNotStartWith(".").endsWith(".engine");
  }

  @Test
  void timingCacheKey_dependsOnTensorRtAndGpuOnly() {
    TimingCacheKey key = new TimingCacheKey("10.15.1", "NVIDIA H200", "9.0");

    assertThat(key.fileName()).matches("timing-[0-9a-f]{16}\\.cache");
    assertThat(new TimingCacheKey("10.15.1", "NVIDIA H200", "9.0").fileName()).isEqualTo(key.fileName());
    assertThat(List.of(new TimingCacheKey("10.16.0", "NVIDIA H200", "9.0"), new TimingCacheKey("10.15.1", "NVIDIA L4", "9.0"),
        new TimingCacheKey("10.15.1", "NVIDIA H200", "8.9")))
        .extracting(TimingCacheKey::fileName)
        .doesNotContain(key.fileName())
        .doesNotHaveDuplicates();
  }

  private static EngineCacheKey withProfile(BatchProfile profile) {
    return new EngineCacheKey("mobilenetv3-large", "ab".repeat(32), "10.15.1", "NVIDIA H200", "9.0", "fp16", profile);
  }
}
