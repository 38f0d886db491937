package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * The GPU preprocessing kernels' arithmetic in plain Java, pixel by pixel: the reference their output
 * is checked against. The formulas are those of {@code native/src/preprocess.cu} and of the C++
 * reference in {@code native/test/preprocess_reference.cpp}; a change to one is a change to all three.
 *
 * <p>For a raw HWC frame: bilinear resize of the short side with OpenCV INTER_LINEAR's geometry
 * computed in float (half-pixel centres, source coordinate {@code (dst + 0.5) * src / resized - 0.5}
 * clamped to the edge pixels), the centre crop and zero padding of {@link CropGeometry}, then
 * {@code (v / 255 - mean[c]) / std[c]}, CHW in the model's channel order.
 *
 * <p>Where it differs from {@link OpenCvImagePreprocessor}: the interpolated value is not rounded to a
 * byte, and shrinking is bilinear too (OpenCV uses INTER_AREA), so a shrunk image is the same picture
 * but not the same numbers.
 *
 * <p>Immutable and thread-safe. Slow; for tests and checks, not for serving.
 */
public final class BilinearPreprocessReference {
  private final InputShape shape;
  private final Preprocessing preprocessing;
  private final ImageLimits limits;

  public BilinearPreprocessReference(InputShape shape, Preprocessing preprocessing, ImageLimits limits) {
    this.shape = Objects.requireNonNull(shape, "shape");
    this.preprocessing = Objects.requireNonNull(preprocessing, "preprocessing");
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  /**
   * Writes {@code 3 × height × width} floats at {@code destination}'s position and advances it.
   *
   * @throws InvalidImageException when the frame's size and byte count disagree or it is over the limits
   */
  public void preprocess(ImageInput.Raw image, FloatBuffer destination) throws InvalidImageException {
    Objects.requireNonNull(image, "image");
    Objects.requireNonNull(destination, "destination");
    int width = image.width();
    int height = image.height();
    if (width < 1 || height < 1) {
      throw new InvalidImageException("raw image width and height must be at least 1, got " + width + "x" + height);
    }
    if ((long) width * height > limits.maxPixels()) {
      throw new InvalidImageException("image is " + width + "x" + height + ", over the limit of "
          + limits.maxPixels() + " pixels");
    }
    ByteBuffer pixels = image.pixels();
    if (pixels.remaining() != 3L * width * height) {
      throw new InvalidImageException("raw image " + width + "x" + height + " must be " + 3L * width * height
          + " bytes, got " + pixels.remaining());
    }
    if (destination.remaining() < shape.elementCount()) {
      throw new IllegalArgumentException("destination has room for " + destination.remaining() + " floats, "
          + shape.elementCount() + " needed");
    }
    CropGeometry g = CropGeometry.of(width, height, preprocessing.resizeShortSide(), shape.width(), shape.height(),
        limits.maxPixels());
    write(new Frame(pixels, pixels.position(), width, height, image.order()), g, destination);
  }

  private record Frame(ByteBuffer pixels, int start, int width, int height, ChannelOrder order) {
    int at(int x, int y, int channel) {
      return pixels.get(start + (y * width + x) * 3 + channel) & 0xFF;
    }
  }

  private void write(Frame frame, CropGeometry g, FloatBuffer destination) {
    float[] mean = preprocessing.mean();
    float[] std = preprocessing.std();
    boolean swap = frame.order() != preprocessing.channelOrder();
    float scaleX = (float) frame.width() / g.resizedWidth();
    float scaleY = (float) frame.height() / g.resizedHeight();
    int outWidth = shape.width();
    int plane = shape.height() * outWidth;
    int base = destination.position();
    for (int y = 0; y < shape.height(); y++) {
      for (int x = 0; x < outWidth; x++) {
        int at = base + y * outWidth + x;
        boolean inside = x >= g.dstX() && x < g.dstX() + g.copyWidth()
            && y >= g.dstY() && y < g.dstY() + g.copyHeight();
        if (!inside) { // torchvision pads with black pixels: the normalized value of a 0 byte
          for (int c = 0; c < 3; c++) {
            destination.put(at + c * plane, (0f - mean[c]) / std[c]);
          }
          continue;
        }
        float sx = sourceCoordinate(x - g.dstX() + g.srcX(), scaleX, frame.width());
        float sy = sourceCoordinate(y - g.dstY() + g.srcY(), scaleY, frame.height());
        int x0 = (int) sx; // sx >= 0, so this is floor
        int y0 = (int) sy;
        int x1 = Math.min(x0 + 1, frame.width() - 1);
        int y1 = Math.min(y0 + 1, frame.height() - 1);
        float fx = sx - x0;
        float fy = sy - y0;
        for (int c = 0; c < 3; c++) {
          int s = swap ? 2 - c : c; // the frame's byte holding model channel c
          float top = (1f - fx) * frame.at(x0, y0, s) + fx * frame.at(x1, y0, s);
          float bottom = (1f - fx) * frame.at(x0, y1, s) + fx * frame.at(x1, y1, s);
          float v = (1f - fy) * top + fy * bottom;
          destination.put(at + c * plane, (v / 255f - mean[c]) / std[c]);
        }
      }
    }
    destination.position(base + 3 * plane);
  }

  /** OpenCV INTER_LINEAR's source coordinate, clamped as its replicated border makes it. */
  private static float sourceCoordinate(int resized, float scale, int sourceSize) {
    float s = (resized + 0.5f) * scale - 0.5f;
    return Math.min(Math.max(s, 0f), sourceSize - 1);
  }
}
