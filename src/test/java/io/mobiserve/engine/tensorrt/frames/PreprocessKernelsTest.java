package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** The binding on any host: it loads or says why not, and never throws for merely being asked. */
class PreprocessKernelsTest {
  private static final int CUDA_ERROR_INVALID_VALUE = 1;
  private static final InputShape SHAPE = new InputShape(3, 224, 224);
  private static final Preprocessing PREPROCESSING = Preprocessing.torchvisionDefaults(SHAPE);

  @Test
  void availability_isLoadedOrHasAReason() {
    assertThat(PreprocessKernels.unavailableReason().isEmpty()).isEqualTo(PreprocessKernels.isAvailable());
    PreprocessKernels.unavailableReason().ifPresent(reason -> assertThat(reason).contains("mobiserve_preprocess"));
  }

  @Test
  void launch_withoutTheLibrary_throwsWithTheReason() {
    assumeFalse(PreprocessKernels.isAvailable(), "the native library loaded (a -Pgpu build)");

    assertThatThrownBy(() -> PreprocessKernels.preprocessFloat(new Pointer(), 1, SHAPE, PREPROCESSING, new Pointer(),
        new Pointer()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(PreprocessKernels.unavailableReason().orElseThrow());
  }

  @Test
  void launch_refusesNullPointersBeforeTouchingTheDevice() {
    // the launcher's argument checks run on the host, so this holds without a GPU or a driver
    assumeTrue(PreprocessKernels.isAvailable(), "native library not loaded: "
        + PreprocessKernels.unavailableReason().orElse(""));

    assertThat(PreprocessKernels.preprocessFloat(new Pointer(), 1, SHAPE, PREPROCESSING, new Pointer(), new Pointer()))
        .isEqualTo(CUDA_ERROR_INVALID_VALUE);
    assertThat(PreprocessKernels.preprocessHalf(new Pointer(), 1, SHAPE, PREPROCESSING, new Pointer(), new Pointer()))
        .isEqualTo(CUDA_ERROR_INVALID_VALUE);
  }
}
