package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * torchvision's eval transform on OpenCV: decode (libjpeg-turbo, libpng), resize the short side with
 * INTER_AREA when shrinking and INTER_LINEAR when enlarging, centre-crop (zero-padding when the image is
 * smaller than the crop), scale to [0, 1], normalize per channel, write CHW in the model's channel order.
 *
 * <p>Every limit and structural check runs before decoding: the encoded size, the format's magic bytes,
 * the size declared in the header against the pixel limit, then that the file is complete. Nothing is
 * written to the destination unless the whole image is accepted.
 *
 * <p>Thread-safe: immutable, and each call owns its native objects, which are freed before it returns,
 * on success and failure alike. OpenCV's own threading is switched off (see {@code OpenCv}): callers
 * parallelize across images.
 */
public final class OpenCvImagePreprocessor implements ImagePreprocessor {
  private final InputShape shape;
  private final Preprocessing preprocessing;
  private final ImageLimits limits;
  private final ChwNormalizer normalizer;
  private final TensorValidator tensors;

  public OpenCvImagePreprocessor(InputShape shape, Preprocessing preprocessing, ImageLimits limits) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
    this.limits = Objects.requireNonNull(limits, "limits");
    this.normalizer = new ChwNormalizer(shape, preprocessing);
    this.tensors = new TensorValidator(shape);
    OpenCv.initialize();
  }

  @Override
  public void preprocess(ImageInput image, FloatBuffer destination) throws InvalidImageException {
    Objects.requireNonNull(image, "image");
    requireRoom(destination);
    if (image instanceof ImageInput.Encoded encoded) {
      preprocessEncoded(encoded.data(), destination);
    } else if (image instanceof ImageInput.Raw raw) {
      preprocessRaw(raw, destination);
    } else if (image instanceof ImageInput.Tensor tensor) {
      destination.put(tensors.checkedView(tensor.float32LittleEndian()));
    } else {
      throw new IllegalArgumentException("unknown image input " + image.getClass().getName());
    }
  }

  @Override
  public FloatBuffer checkedTensor(ImageInput.Tensor tensor) throws InvalidImageException {
    return tensors.checkedView(tensor.float32LittleEndian());
  }

  @Override
  public long workingBytes(ImageInput image) throws InvalidImageException {
    if (image instanceof ImageInput.Encoded encoded) {
      ByteBuffer data = encoded.data();
      ImageHeader header = checkedHeader(data, ImageFormat.detect(requireEncodedSize(data)));
      // imdecode reads a native copy of the file, decodes it, and may convert it (grey, alpha, EXIF) once.
      return data.remaining() + 2 * pixelBytes(header.width(), header.height())
          + resizedBytes(header.width(), header.height());
    }
    if (image instanceof ImageInput.Raw raw) {
      if (raw.width() < 1 || raw.height() < 1) {
        throw new InvalidImageException("raw image width and height must be at least 1, got " + raw.width() + "x"
            + raw.height());
      }
      requirePixelsWithinLimit(raw.width(), raw.height());
      // A heap buffer (as protobuf hands out) is copied once into native memory, then resized.
      return pixelBytes(raw.width(), raw.height()) + resizedBytes(raw.width(), raw.height());
    }
    return 0;
  }

  private long resizedBytes(int width, int height) throws InvalidImageException {
    CropGeometry g = CropGeometry.of(
        width, height, preprocessing.resizeShortSide(), shape.width(), shape.height(), limits.maxPixels());
    return pixelBytes(g.resizedWidth(), g.resizedHeight());
  }

  private static long pixelBytes(int width, int height) {
    return 3L * width * height;
  }

  private ByteBuffer requireEncodedSize(ByteBuffer data) throws InvalidImageException {
    if (data.remaining() > limits.maxEncodedBytes()) {
      throw new InvalidImageException("encoded image is " + data.remaining() + " bytes, over the limit of "
          + limits.maxEncodedBytes());
    }
    if (!data.hasRemaining()) {
      throw new InvalidImageException("image data is empty");
    }
    return data;
  }

  private ImageHeader checkedHeader(ByteBuffer data, ImageFormat format) throws InvalidImageException {
    ImageHeader header = format == ImageFormat.JPEG ? JpegStructure.header(data) : PngStructure.header(data);
    requirePixelsWithinLimit(header.width(), header.height());
    return header;
  }

  private void preprocessEncoded(ByteBuffer data, FloatBuffer destination) throws InvalidImageException {
    ImageFormat format = ImageFormat.detect(requireEncodedSize(data));
    checkedHeader(data, format);
    if (format == ImageFormat.JPEG) {
      JpegStructure.requireComplete(data);
    } else {
      PngStructure.requireComplete(data);
    }
    try (PointerScope scope = new PointerScope()) {
      Mat bgr = OpenCvDecoder.decode(data, format);
      // EXIF orientation may have swapped the sides, so the geometry follows the decoded Mat
      resizeAndWrite(bgr, ChannelOrder.BGR, destination);
    }
  }

  private void preprocessRaw(ImageInput.Raw raw, FloatBuffer destination) throws InvalidImageException {
    ChannelOrder order = Objects.requireNonNull(raw.order(), "raw image channel order");
    int width = raw.width();
    int height = raw.height();
    if (width < 0 || height < 0) {
      // the wire's uint32 over 2^31-1, cast to int on the way here: say what the client sent
      throw new InvalidImageException("raw image is " + Integer.toUnsignedString(width) + "x"
          + Integer.toUnsignedString(height) + ", over the largest side of " + Integer.MAX_VALUE);
    }
    if (width == 0 || height == 0) {
      throw new InvalidImageException("raw image width and height must be at least 1, got " + width + "x" + height);
    }
    requirePixelsWithinLimit(width, height);
    long expected = 3L * width * height;
    if (raw.pixels().remaining() != expected) {
      throw new InvalidImageException("raw image " + width + "x" + height + " " + raw.order() + " must be "
          + expected + " bytes (height x width x 3), got " + raw.pixels().remaining());
    }
    try (PointerScope scope = new PointerScope()) {
      Mat pixels;
      try {
        pixels = OpenCvDecoder.wrapPixels(raw.pixels(), width, height);
      } catch (RuntimeException e) { // a cv::Exception from the Mat constructor
        throw new InvalidImageException("raw image " + width + "x" + height + " could not be read: " + e.getMessage(), e);
      }
      resizeAndWrite(pixels, order, destination);
    }
  }

  private void resizeAndWrite(Mat source, ChannelOrder order, FloatBuffer destination) throws InvalidImageException {
    int width = source.cols();
    int height = source.rows();
    CropGeometry g = CropGeometry.of(
        width, height, preprocessing.resizeShortSide(), shape.width(), shape.height(), limits.maxPixels());
    Mat resized = source;
    if (g.resizedWidth() != width || g.resizedHeight() != height) {
      resized = new Mat();
      int interpolation = g.enlarges(width, height) ? opencv_imgproc.INTER_LINEAR : opencv_imgproc.INTER_AREA;
      try {
        opencv_imgproc.resize(source, resized, new Size(g.resizedWidth(), g.resizedHeight()), 0, 0, interpolation);
      } catch (RuntimeException e) {
        throw new InvalidImageException("image of " + width + "x" + height + " could not be resized: " + e.getMessage(), e);
      }
    }
    normalizer.write(resized, order, g, destination);
  }

  private void requirePixelsWithinLimit(int width, int height) throws InvalidImageException {
    long pixels = (long) width * height;
    if (pixels > limits.maxPixels()) {
      throw new InvalidImageException("image is " + width + "x" + height + " = " + pixels
          + " pixels, over the limit of " + limits.maxPixels());
    }
  }

  /** A destination too small or read-only is the caller's bug, not the client's: fail loudly, write nothing. */
  private void requireRoom(FloatBuffer destination) {
    Objects.requireNonNull(destination, "destination");
    if (destination.isReadOnly()) {
      throw new IllegalArgumentException("destination is read-only");
    }
    if (destination.remaining() < shape.elementCount()) {
      throw new IllegalArgumentException("destination has room for " + destination.remaining() + " floats, "
          + shape.elementCount() + " needed");
    }
  }

  @Override
  public String toString() {
    return "OpenCvImagePreprocessor[" + shape.channels() + "x" + shape.height() + "x" + shape.width() + ", "
        + preprocessing + "]";
  }
}
