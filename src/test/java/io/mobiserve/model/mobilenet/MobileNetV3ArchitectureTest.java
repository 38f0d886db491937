package io.mobiserve.model.mobilenet;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.model.mobilenet.MobileNetV3Architecture.Block;
import org.junit.jupiter.api.Test;

class MobileNetV3ArchitectureTest {

  @Test
  void large_matchesTorchvisionParameterCount() {
    // sum(p.numel() for p in torchvision.models.mobilenet_v3_large().parameters())
    assertThat(MobileNetV3Architecture.of(MobileNetV3Config.large(0)).parameterCount()).isEqualTo(5_483_032L);
  }

  @Test
  void small_matchesTorchvisionParameterCount() {
    assertThat(MobileNetV3Architecture.of(MobileNetV3Config.small(0)).parameterCount()).isEqualTo(2_542_856L);
  }

  @Test
  void large_hasFifteenDepthwiseConvsAndEightSeBlocks() {
    MobileNetV3Architecture large = MobileNetV3Architecture.of(MobileNetV3Config.large(0));
    assertThat(large.depthwiseConvCount()).isEqualTo(15);
    assertThat(large.seBlockCount()).isEqualTo(8);
    assertThat(large.lastConvChannels()).isEqualTo(960);
    assertThat(large.classifierHiddenChannels()).isEqualTo(1280);
  }

  @Test
  void small_hasElevenDepthwiseConvsAndNineSeBlocks() {
    MobileNetV3Architecture small = MobileNetV3Architecture.of(MobileNetV3Config.small(0));
    assertThat(small.depthwiseConvCount()).isEqualTo(11);
    assertThat(small.seBlockCount()).isEqualTo(9);
    assertThat(small.lastConvChannels()).isEqualTo(576);
    assertThat(small.classifierHiddenChannels()).isEqualTo(1024);
  }

  @Test
  void squeezeWidth_isQuarterOfExpandedRoundedToEight() {
    // Large block 3: 72 expanded -> 72 // 4 = 18 -> rounds to 16, below 90% of 18, so 24.
    Block block = MobileNetV3Architecture.of(MobileNetV3Config.large(0)).blocks().get(3);
    assertThat(block.expandedChannels()).isEqualTo(72);
    assertThat(block.squeezeChannels()).isEqualTo(24);
  }

  @Test
  void residual_onlyWhenStrideOneAndChannelsKept() {
    MobileNetV3Architecture large = MobileNetV3Architecture.of(MobileNetV3Config.large(0));
    assertThat(large.blocks()).filteredOn(Block::hasResidual).hasSize(10);
    assertThat(large.blocks().get(0).hasExpansion()).isFalse();
    assertThat(large.blocks().get(1).hasResidual()).isFalse();
  }

  @Test
  void widthMultiplier_scalesEveryLayerIncludingClassifier() {
    MobileNetV3Architecture narrow = MobileNetV3Architecture.of(MobileNetV3Config.large(0).withWidth(0.75));
    // torchvision mobilenet_v3_large(width_mult=0.75): stem 16*0.75=12 -> 16; last block 160*0.75 = 120.
    assertThat(narrow.stemChannels()).isEqualTo(16);
    assertThat(narrow.blocks().get(14).outputChannels()).isEqualTo(120);
    assertThat(narrow.lastConvChannels()).isEqualTo(720);
    assertThat(narrow.classifierHiddenChannels()).isEqualTo(960);
    assertThat(narrow.parameterCount()).isLessThan(5_483_032L);
  }

  @Test
  void makeDivisible_followsTorchvision() {
    assertThat(MobileNetV3Architecture.makeDivisible(12, 8)).isEqualTo(16); // int(16) // 8 * 8
    assertThat(MobileNetV3Architecture.makeDivisible(11.9, 8)).isEqualTo(16); // 15 // 8 * 8 = 8 < 0.9 * 11.9
    assertThat(MobileNetV3Architecture.makeDivisible(5, 8)).isEqualTo(8);
    assertThat(MobileNetV3Architecture.makeDivisible(3, 8)).isEqualTo(8); // never below the divisor
    assertThat(MobileNetV3Architecture.makeDivisible(18, 8)).isEqualTo(24); // 16 < 0.9 * 18
    assertThat(MobileNetV3Architecture.makeDivisible(1280 * 1.25, 8)).isEqualTo(1600);
  }
}
