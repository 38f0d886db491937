package io.mobiserve.preprocess;

import io.mobiserve.testing.TestImages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.opencv.global.opencv_core;
import org.junit.jupiter.api.Test;

/** Native memory, OpenCV's threading, and use from many threads. */
class OpenCvImagePreprocessorResourcesTest {
  private static final InputShape SHAPE = new InputShape(3, 64, 64);
  private final OpenCvImagePreprocessor preprocessor = new OpenCvImagePreprocessor(SHAPE,
      new Preprocessing(72, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD, ChannelOrder.RGB),
      ImageLimits.DEFAULT);

  @Test
  void preprocess_switchesOffOpenCvsOwnThreads() {
    assertThat(opencv_core.getNumThreads()).isEqualTo(1);
  }

  @Test
  void preprocess_freesNativeMemoryOnSuccessAndOnFailure() throws Exception {
    // heap buffers are copied into JavaCPP-allocated memory, which Pointer.totalBytes() tracks
    ImageInput good = new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(TestImages.noise(120, 90, 8))));
    byte[] corrupt = TestImages.png(TestImages.noise(120, 90, 9));
    for (int i = 60; i < corrupt.length - 40; i++) {
      corrupt[i] ^= 0x5A; // damage the compressed pixels, keep the chunk structure
    }
    ImageInput bad = new ImageInput.Encoded(ByteBuffer.wrap(corrupt));
    preprocessor.preprocess(good, FloatBuffer.allocate(SHAPE.elementCount())); // load natives first
    long before = Pointer.totalBytes();

    for (int i = 0; i < 20; i++) {
      preprocessor.preprocess(good, FloatBuffer.allocate(SHAPE.elementCount()));
      assertThatThrownBy(() -> preprocessor.preprocess(bad, FloatBuffer.allocate(SHAPE.elementCount())))
          .isInstanceOf(InvalidImageException.class);
    }

    assertThat(Pointer.totalBytes()).isEqualTo(before);
  }

  @Test
  void preprocess_givesTheSameResultsFromManyThreads() throws Exception {
    List<ImageInput> images = new ArrayList<>();
    List<float[]> expected = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      ImageInput image = new ImageInput.Encoded(ByteBuffer.wrap(TestImages.png(TestImages.noise(70 + i, 90, i))));
      images.add(image);
      expected.add(OpenCvImagePreprocessorTest.run(preprocessor, image));
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(pool.submit(() -> {
          for (int round = 0; round < 10; round++) {
            for (int i = 0; i < images.size(); i++) {
              float[] actual = OpenCvImagePreprocessorTest.run(preprocessor, images.get(i));
              if (!java.util.Arrays.equals(actual, expected.get(i))) {
                return false;
              }
            }
          }
          return true;
        }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
