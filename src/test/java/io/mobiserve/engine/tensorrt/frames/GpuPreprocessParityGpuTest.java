package io.mobiserve.engine.tensorrt.frames;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorName;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import io.mobiserve.engine.tensorrt.frames.ImageDescriptor;
import io.mobiserve.engine.tensorrt.frames.PreprocessKernels;
import io.mobiserve.engine.tensorrt.TensorRtAvailability;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.GpuPreprocessReference;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.testing.GpuSuite;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA preprocessing kernels on a real GPU against {@link GpuPreprocessReference}: a mixed batch
 * (shrinking with the area filter, enlarging, odd sizes, crop only, padding, both channel orders) in one
 * launch per case.
 * Needs a CUDA device and the {@code -Pgpu} native build; skipped, saying which is missing, otherwise.
 */
@Tag("gpu")
class GpuPreprocessParityGpuTest {
  private static final double FLOAT_TOLERANCE = 1e-3;
  private static final InputShape SHAPE = new InputShape(3, 224, 224);
  private static final Preprocessing RGB_MODEL = Preprocessing.torchvisionDefaults(SHAPE);
  /** Resize 200 into a 224 high × 240 wide crop: every frame is padded somewhere. */
  private static final InputShape WIDE = new InputShape(3, 224, 240);
  private static final Preprocessing BGR_MODEL_PADDED =
      new Preprocessing(200, new float[] {0.406f, 0.5f, 0.485f}, new float[] {0.225f, 0.3f, 0.229f}, ChannelOrder.BGR);

  private final List<Pointer> deviceBuffers = new ArrayList<>();
  private CUstream_st stream;

  /** Empty where the kernels can run; else why not. Probed once: a failed cudart load is permanent anyway. */
  private static final Optional<String> WHY_SKIPPED = whySkipped();

  @BeforeEach
  void requireGpuAndKernels() {
    // per test, not @BeforeAll, so that each test is reported as skipped with the reason
    GpuSuite.require(WHY_SKIPPED.isEmpty(), WHY_SKIPPED.orElse(""));
  }

  private static Optional<String> whySkipped() {
    if (!PreprocessKernels.isAvailable()) {
      return Optional.of("kernel library not built: " + PreprocessKernels.unavailableReason().orElse(""));
    }
    try {
      Loader.load(cudart.class);
    } catch (LinkageError e) {
      // A failed cudart load is permanent, and later touches lose the first error's message: the probe
      // kept it (e.g. no libcuda.so.1, so no driver).
      return Optional.of("no CUDA device: " + TensorRtAvailability.probe(0).reason());
    }
    int[] count = {0};
    int status = cudaGetDeviceCount(count);
    if (status != 0 || count[0] == 0) {
      return Optional.of("no CUDA device: cudaGetDeviceCount returned " + status + " with " + count[0] + " devices");
    }
    return Optional.empty();
  }

  @AfterEach
  void freeDeviceMemory() {
    deviceBuffers.forEach(p -> cudaFree(p));
    deviceBuffers.clear();
    if (stream != null) {
      cudaStreamDestroy(stream);
    }
  }

  @Test
  void floatKernel_matchesTheReferenceForAMixedBatch() throws Exception {
    List<ImageInput.Raw> frames = List.of(
        frame(640, 480, ChannelOrder.RGB, 1), // shrinks 1.9x: area
        frame(1920, 1080, ChannelOrder.BGR, 12), // shrinks 4.2x: area, swapped
        frame(100, 75, ChannelOrder.BGR, 2), // enlarges, swapped
        frame(333, 517, ChannelOrder.RGB, 3), // odd sizes
        frame(256, 300, ChannelOrder.BGR, 4), // crop only, swapped
        frame(1, 1, ChannelOrder.RGB, 5));

    float[] gpu = runFloat(frames, SHAPE, RGB_MODEL);

    assertMatchesReference(gpu, frames, SHAPE, RGB_MODEL, false);
  }

  @Test
  void floatKernel_padsAndSwapsForABgrModel() throws Exception {
    List<ImageInput.Raw> frames = List.of(
        frame(300, 200, ChannelOrder.RGB, 6), // no resize, pads top and bottom, swapped
        frame(50, 80, ChannelOrder.BGR, 7), // enlarges, pads left and right
        frame(199, 199, ChannelOrder.BGR, 8));

    float[] gpu = runFloat(frames, WIDE, BGR_MODEL_PADDED);

    assertMatchesReference(gpu, frames, WIDE, BGR_MODEL_PADDED, false);
  }

  @Test
  void halfKernel_matchesTheReferenceWithinHalfPrecision() throws Exception {
    List<ImageInput.Raw> frames = List.of(
        frame(640, 480, ChannelOrder.BGR, 9),
        frame(97, 1001, ChannelOrder.RGB, 10),
        frame(120, 90, ChannelOrder.RGB, 11));

    float[] gpu = runHalf(frames, SHAPE, RGB_MODEL);

    assertMatchesReference(gpu, frames, SHAPE, RGB_MODEL, true);
  }

  private float[] runFloat(List<ImageInput.Raw> frames, InputShape shape, Preprocessing preprocessing)
      throws Exception {
    long elements = (long) frames.size() * shape.elementCount();
    Pointer output = deviceAlloc(elements * Float.BYTES);
    check(PreprocessKernels.preprocessFloat(upload(frames, shape, preprocessing), frames.size(), shape, preprocessing,
        output, stream), "preprocessFloat");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    FloatPointer host = new FloatPointer(elements);
    check(cudaMemcpy(host, output, elements * Float.BYTES, cudaMemcpyDeviceToHost), "download");
    float[] values = new float[(int) elements];
    host.get(values);
    return values;
  }

  private float[] runHalf(List<ImageInput.Raw> frames, InputShape shape, Preprocessing preprocessing)
      throws Exception {
    long elements = (long) frames.size() * shape.elementCount();
    Pointer output = deviceAlloc(elements * 2);
    check(PreprocessKernels.preprocessHalf(upload(frames, shape, preprocessing), frames.size(), shape, preprocessing,
        output, stream), "preprocessHalf");
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    ShortPointer host = new ShortPointer(elements);
    check(cudaMemcpy(host, output, elements * 2, cudaMemcpyDeviceToHost), "download");
    float[] values = new float[(int) elements];
    for (int i = 0; i < values.length; i++) {
      values[i] = halfToFloat(host.get(i));
    }
    return values;
  }

  /** Copies the frames and their descriptors to the device; returns the descriptor array. */
  private Pointer upload(List<ImageInput.Raw> frames, InputShape shape, Preprocessing preprocessing) throws Exception {
    stream = new CUstream_st();
    check(cudaStreamCreate(stream), "cudaStreamCreate");
    ByteBuffer descriptors = ByteBuffer.allocateDirect(frames.size() * ImageDescriptor.BYTES);
    for (int i = 0; i < frames.size(); i++) {
      ImageInput.Raw frame = frames.get(i);
      int bytes = frame.pixels().remaining();
      Pointer pixels = deviceAlloc(bytes);
      check(cudaMemcpy(pixels, new BytePointer(frame.pixels().array()), bytes, cudaMemcpyHostToDevice),
          "upload frame");
      ImageDescriptor.forFrame(pixels.address(), frame.width(), frame.height(), 3 * frame.width(), frame.order(),
          shape, preprocessing, ImageLimits.DEFAULT).writeTo(descriptors, i);
    }
    Pointer device = deviceAlloc(descriptors.capacity());
    check(cudaMemcpy(device, new BytePointer(descriptors), descriptors.capacity(), cudaMemcpyHostToDevice),
        "upload descriptors");
    return device;
  }

  private static void assertMatchesReference(float[] gpu, List<ImageInput.Raw> frames, InputShape shape,
      Preprocessing preprocessing, boolean half) throws Exception {
    GpuPreprocessReference reference = new GpuPreprocessReference(shape, preprocessing, ImageLimits.DEFAULT);
    int count = shape.elementCount();
    for (int i = 0; i < frames.size(); i++) {
      ImageInput.Raw frame = frames.get(i);
      FloatBuffer expected = FloatBuffer.allocate(count);
      reference.preprocess(frame, expected);
      double worst = 0;
      for (int j = 0; j < count; j++) {
        float want = expected.get(j);
        // half keeps 11 significant bits: one unit in the last place on top of the float bound
        double tolerance = half ? FLOAT_TOLERANCE + Math.abs(want) / 1024 : FLOAT_TOLERANCE;
        double diff = Math.abs(gpu[i * count + j] - want);
        assertThat(diff).as("frame %dx%d %s, element %d: GPU %s, reference %s", frame.width(), frame.height(),
            frame.order(), j, gpu[i * count + j], want).isLessThanOrEqualTo(tolerance);
        worst = Math.max(worst, diff);
      }
      System.out.printf("GPU preprocessing %dx%d %s -> %s: max |diff| %.3g%n", frame.width(), frame.height(),
          frame.order(), half ? "half" : "float", worst);
    }
  }

  private Pointer deviceAlloc(long bytes) {
    Pointer p = new Pointer();
    check(cudaMalloc(p, bytes), "cudaMalloc " + bytes + " bytes");
    deviceBuffers.add(p);
    return p;
  }

  private static void check(int status, String what) {
    assertThat(status).as("%s: %s", what, status == 0 ? "" : cudaGetErrorName(status).getString()).isZero();
  }

  private static ImageInput.Raw frame(int width, int height, ChannelOrder order, long seed) {
    byte[] pixels = new byte[3 * width * height];
    new Random(seed).nextBytes(pixels);
    return new ImageInput.Raw(ByteBuffer.wrap(pixels), width, height, order);
  }

  /** IEEE 754 binary16 to float (Float.float16ToFloat arrived in Java 20). */
  static float halfToFloat(short bits) {
    int sign = (bits & 0x8000) << 16;
    int exponent = (bits >> 10) & 0x1F;
    int mantissa = bits & 0x3FF;
    if (exponent == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F80_0000 | mantissa << 13); // infinity or NaN
    }
    if (exponent == 0) { // zero or subnormal: mantissa × 2^-24
      float magnitude = mantissa * 0x1p-24f;
      return sign == 0 ? magnitude : -magnitude;
    }
    return Float.intBitsToFloat(sign | (exponent + 112) << 23 | mantissa << 13);
  }
}
