package io.mobiserve.engine.tensorrt;

import io.mobiserve.engine.tensorrt.frames.ImageDescriptor;
import io.mobiserve.engine.tensorrt.frames.PreprocessKernels;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.pipeline.CallScope;
import io.mobiserve.pipeline.ImageClassification;
import io.mobiserve.preprocess.CropGeometry;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.runtime.Backend;
import io.mobiserve.runtime.EngineHealth;
import io.mobiserve.runtime.Fallback;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.runtime.RuntimeListener;
import io.mobiserve.testing.DigitsFixture;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A real sticky CUDA error, injected into a real GPU runtime: run by {@link StickyErrorGpuTest} in a JVM of
 * its own, since the error leaves CUDA unusable for the rest of the process.
 *
 * <p>Starts the digits model on TensorRT with {@code --fallback cpu} or {@code none}, checks it answers from
 * the GPU, then launches the preprocessing kernel on a frame whose pixels point at an unmapped device
 * address — an illegal memory access, which CUDA makes sticky — and checks what the runtime does next:
 * under {@code cpu} every image is still answered right, from the CPU, and the health says a restart is
 * required while it keeps answering; under {@code none} batches fail and the health says nothing answers.
 * Prints one {@code DRILL <fallback> OK} line and exits 0, or prints why and exits 1.
 *
 * <p>Usage: {@code StickyErrorDrill cpu|none ENGINE_CACHE_DIR}
 */
public final class StickyErrorDrill {
  private StickyErrorDrill() {}

  public static void main(String[] args) throws Exception {
    Fallback fallback = Fallback.valueOf(args[0].toUpperCase(java.util.Locale.ROOT));
    TensorRtOptions options = new TensorRtOptions(Precision.FP32, Path.of(args[1]),
        TensorRtOptions.DEFAULT_WORKSPACE_BYTES, 0);
    ModelSpec model = OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none());
    RuntimeConfig config = RuntimeConfig.builder().backend(Backend.TENSORRT).fallback(fallback).tensorRt(options)
        .maxBatch(8).build();
    List<DigitsFixture.Sample> samples = DigitsFixture.heldOut().subList(0, 40);

    try (ModelRuntime runtime = ModelRuntime.start(model, config, RuntimeListener.NONE)) {
      runtime.warmUp();
      EngineHealth health = runtime.health();
      require(runtime.engineInfo().backend().equals("tensorrt-gpu"), "not on the GPU: " + runtime.engineInfo());
      require(correct(runtime, samples) >= 38, "the GPU got the digits wrong before the fault");
      require(health.acceleratedAndHealthy(), "not healthy before the fault: " + health);

      int status = injectIllegalAddress(model);
      System.out.println("injected: the kernel on an unmapped address ended with " + CudaCheck.RUNTIME.describe(status));
      require(CudaCheck.isSticky(status), "the injected fault is not a sticky error, so nothing was tested");

      if (fallback == Fallback.CPU) {
        int right = correct(runtime, samples);
        Thread.sleep(1500); // past the first back-off: a lost GPU must not be retried
        right = Math.min(right, correct(runtime, samples));
        require(right >= 38, "the CPU fallback got " + right + " of 40 digits right after the fault");
        require(health.restartRequired() && health.answering(), "health after the fault: " + health);
        require(health.degradedReason().contains("restart required"), "reason: " + health.degradedReason());
      } else {
        boolean failed = false;
        try {
          correct(runtime, samples);
        } catch (ExecutionException e) {
          failed = true;
          System.out.println("batch after the fault failed as it must: " + e.getCause().getMessage());
        }
        require(failed, "a batch ran on the lost GPU");
        require(health.restartRequired() && !health.answering(), "health after the fault: " + health);
      }
      System.out.println("DRILL " + fallback.name().toLowerCase(java.util.Locale.ROOT) + " OK: " + health);
    }
    System.exit(0); // the lost CUDA context may keep native threads alive
  }

  private static int correct(ModelRuntime runtime, List<DigitsFixture.Sample> samples) throws Exception {
    List<ImageInput> images = new ArrayList<>();
    for (DigitsFixture.Sample sample : samples) {
      images.add(new ImageInput.Encoded(ByteBuffer.wrap(sample.bytes())));
    }
    List<ImageClassification> results =
        runtime.pipeline().classify(images, 1, CallScope.UNBOUNDED).get(2, TimeUnit.MINUTES);
    int right = 0;
    for (int i = 0; i < samples.size(); i++) {
      if (results.get(i).classes().get(0).index() == samples.get(i).label()) {
        right++;
      }
    }
    return right;
  }

  /** Launches the float kernel on one frame whose pixels are at device address 0x10; the sync's status. */
  private static int injectIllegalAddress(ModelSpec model) throws Exception {
    InputShape shape = model.input();
    Preprocessing preprocessing = model.preprocessing();
    CropGeometry geometry = CropGeometry.of(640, 480, preprocessing.resizeShortSide(), shape.width(), shape.height(),
        Long.MAX_VALUE);
    ByteBuffer descriptor = ByteBuffer.allocateDirect(ImageDescriptor.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    new ImageDescriptor(0x10, 640, 480, 1920, ChannelOrder.RGB, geometry).writeTo(descriptor, 0);
    Pointer deviceDescriptor = new Pointer();
    Pointer output = new Pointer();
    require(cudart.cudaMalloc(deviceDescriptor, ImageDescriptor.BYTES) == 0, "cudaMalloc(descriptor)");
    require(cudart.cudaMalloc(output, (long) shape.elementCount() * Float.BYTES) == 0, "cudaMalloc(output)");
    require(cudart.cudaMemcpy(deviceDescriptor, new BytePointer(descriptor), ImageDescriptor.BYTES,
        cudart.cudaMemcpyHostToDevice) == 0, "cudaMemcpy(descriptor)");
    int launched = PreprocessKernels.preprocessFloat(deviceDescriptor, 1, shape, preprocessing, output, new Pointer());
    require(launched == 0, "the faulting kernel was not even launched: " + launched);
    return cudart.cudaDeviceSynchronize();
  }

  private static void require(boolean condition, String failure) {
    if (!condition) {
      System.out.println("DRILL FAILED: " + failure);
      System.exit(1);
    }
  }
}
