package io.mobiserve.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import org.opentest4j.TestAbortedException;

/**
 * The guard of every {@code @Tag("gpu")} test: where the GPU path cannot run, the test is reported as
 * skipped with the reason — never as passed — or, with {@code -Dmobiserve.gpu.required=true} (a GPU CI
 * job), fails, so that a suite on a host without a usable GPU cannot pass vacuously.
 */
public final class GpuSuite {
  public static final String REQUIRED_PROPERTY = "mobiserve.gpu.required";

  private GpuSuite() {}

  /** TensorRT on CUDA device 0, or the calling test skipped (or failed) with the probe's reason. */
  public static TensorRtAvailability requireTensorRt() {
    TensorRtAvailability availability = TensorRtAvailability.probe(0);
    require(availability.available(), availability.reason());
    return availability;
  }

  /** Returns when {@code available}; otherwise skips or fails the calling test with {@code reason}. */
  public static void require(boolean available, String reason) {
    if (available) {
      return;
    }
    if (Boolean.getBoolean(REQUIRED_PROPERTY)) {
      fail("the GPU suite is required (-D" + REQUIRED_PROPERTY + "=true) but cannot run here: " + reason);
    }
    // Maven's summary shows only a count of skipped tests; the reason goes to the build log as well.
    System.err.println("[gpu suite] skipped: " + reason);
    throw new TestAbortedException("skipped: " + reason);
  }
}
