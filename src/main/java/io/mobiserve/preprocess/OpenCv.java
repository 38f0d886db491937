package io.mobiserve.preprocess;

import org.bytedeco.opencv.global.opencv_core;

/**
 * The one place that configures OpenCV for this process. Images are preprocessed in parallel on our own
 * bounded pool, one image per thread; OpenCV's internal worker threads on top of that would
 * oversubscribe a 2-core machine and make latency erratic, so they are turned off.
 */
final class OpenCv {

  static {
    opencv_core.setNumThreads(1);
  }

  private OpenCv() {}

  /** Loads the natives and applies the settings once (the JVM runs the static initializer once). */
  static void initialize() {
    // the static initializer does the work
  }
}
