package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;

/**
 * One image at a time, on one thread, into a 224×224 model input (resize 256, ImageNet mean/std):
 * a 640×480 JPEG (decode + resize + crop + normalize), the same picture as raw RGB pixels (no decode),
 * and a ready tensor (validate + copy). Two OpenCV-only baselines split the JPEG figure into its
 * decode and its INTER_AREA resize. Run with {@code scripts/jmh.sh PreprocessBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
public class PreprocessBenchmark {
  private static final int WIDTH = 640;
  private static final int HEIGHT = 480;
  private static final InputShape SHAPE = new InputShape(3, 224, 224);

  private OpenCvImagePreprocessor preprocessor;
  private ImageInput jpeg;
  private ImageInput raw;
  private ImageInput tensor;
  private FloatBuffer destination;
  private PointerScope nativeScope;
  private Mat encodedMat;
  private Mat decodedMat;
  private Mat resizedMat;
  private Size resizedSize;

  @Setup
  public void setUp() {
    preprocessor = new OpenCvImagePreprocessor(SHAPE, Preprocessing.torchvisionDefaults(SHAPE), ImageLimits.DEFAULT);
    byte[] rgb = photoLike();
    raw = new ImageInput.Raw(ByteBuffer.wrap(rgb).asReadOnlyBuffer(), WIDTH, HEIGHT, ChannelOrder.RGB);
    // read-only heap buffers, as protobuf's ByteString.asReadOnlyByteBuffer() hands them to the service
    jpeg = new ImageInput.Encoded(ByteBuffer.wrap(encodeJpeg(rgb, 90)).asReadOnlyBuffer());
    ByteBuffer floats = ByteBuffer.allocate(4 * SHAPE.elementCount()).order(ByteOrder.LITTLE_ENDIAN);
    Random random = new Random(2);
    while (floats.hasRemaining()) {
      floats.putFloat((float) random.nextGaussian());
    }
    tensor = new ImageInput.Tensor(floats.flip().asReadOnlyBuffer());
    destination = FloatBuffer.allocate(SHAPE.elementCount());

    nativeScope = new PointerScope();
    byte[] jpegBytes = encodeJpeg(rgb, 90);
    encodedMat = new Mat(1, jpegBytes.length, opencv_core.CV_8UC1, new BytePointer(jpegBytes));
    decodedMat = opencv_imgcodecs.imdecode(encodedMat, opencv_imgcodecs.IMREAD_COLOR);
    resizedMat = new Mat();
    resizedSize = new Size(341, 256); // 640x480 with a 256 short side, as the preprocessor computes
  }

  @TearDown
  public void tearDown() {
    nativeScope.close();
  }

  @Benchmark
  public void baselineOpenCvDecodeOnly() {
    try (Mat decoded = opencv_imgcodecs.imdecode(encodedMat, opencv_imgcodecs.IMREAD_COLOR)) {
      if (decoded.empty()) {
        throw new IllegalStateException("decode failed");
      }
    }
  }

  @Benchmark
  public Mat baselineOpenCvAreaResizeOnly() {
    opencv_imgproc.resize(decodedMat, resizedMat, resizedSize, 0, 0, opencv_imgproc.INTER_AREA);
    return resizedMat;
  }

  @Benchmark
  public FloatBuffer jpeg640x480() throws InvalidImageException {
    return run(jpeg);
  }

  @Benchmark
  public FloatBuffer rawRgb640x480() throws InvalidImageException {
    return run(raw);
  }

  @Benchmark
  public FloatBuffer tensorCopy224() throws InvalidImageException {
    return run(tensor);
  }

  private FloatBuffer run(ImageInput image) throws InvalidImageException {
    destination.clear();
    preprocessor.preprocess(image, destination);
    return destination;
  }

  /** Smooth gradients with a soft diagonal pattern plus sensor-like noise: JPEG-compressible but not trivial. */
  private static byte[] photoLike() {
    Random random = new Random(1);
    byte[] rgb = new byte[WIDTH * HEIGHT * 3];
    int i = 0;
    for (int y = 0; y < HEIGHT; y++) {
      for (int x = 0; x < WIDTH; x++) {
        double wave = 40 * Math.sin((x + 2 * y) / 37.0) * Math.cos((x - y) / 53.0);
        rgb[i++] = clamp(60 + 150.0 * x / WIDTH + wave + 6 * random.nextGaussian());
        rgb[i++] = clamp(40 + 170.0 * y / HEIGHT - wave / 2 + 6 * random.nextGaussian());
        rgb[i++] = clamp(200 - 120.0 * (x + y) / (WIDTH + HEIGHT) + wave + 6 * random.nextGaussian());
      }
    }
    return rgb;
  }

  private static byte clamp(double v) {
    return (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
  }

  private static byte[] encodeJpeg(byte[] rgb, int quality) {
    try (PointerScope scope = new PointerScope()) {
      Mat image = new Mat(HEIGHT, WIDTH, opencv_core.CV_8UC3, new BytePointer(rgb));
      // imencode expects BGR; swap in place on the Mat
      opencv_imgproc.cvtColor(image, image, opencv_imgproc.COLOR_RGB2BGR);
      BytePointer out = new BytePointer();
      if (!opencv_imgcodecs.imencode(".jpg", image, out, new IntPointer(opencv_imgcodecs.IMWRITE_JPEG_QUALITY, quality))) {
        throw new IllegalStateException("OpenCV could not encode the benchmark JPEG");
      }
      byte[] bytes = new byte[(int) out.limit()];
      out.get(bytes);
      return bytes;
    }
  }
}
