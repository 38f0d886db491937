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
 * <p>For a raw HWC frame: resize of the short side as {@link OpenCvImagePreprocessor} does it — OpenCV's
 * INTER_AREA (a box filter over each resized pixel's cell of the source, with OpenCV's cell weights) when
 * shrinking, INTER_LINEAR's geometry computed in float (half-pixel centres, source coordinate
 * {@code (dst + 0.5) * src / resized - 0.5} clamped to the edge pixels) when enlarging or not resizing —
 * the centre crop and zero padding of {@link CropGeometry}, then {@code (v / 255 - mean[c]) / std[c]}, CHW
 * in the model's channel order.
 *
 * <p>Where it differs from {@link OpenCvImagePreprocessor}: the resized value is not rounded to a byte, so
 * the two agree within half a byte level and OpenCV's fixed-point weights.
 *
 * <p>Immutable and thread-safe. Slow; for tests and checks, not for serving.
 */
public final class GpuPreprocessReference {
  private final InputShape shape;
  private final Preprocessing preprocessing;
  private final ImageLimits limits;

  public GpuPreprocessReference(InputShape shape, Preprocessing preprocessing, ImageLimits limits) {
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
    boolean shrinks = g.resizedWidth() < frame.width() && g.resizedHeight() < frame.height();
    AreaTaps xTaps = new AreaTaps(frame.width(), g.resizedWidth());
    AreaTaps yTaps = new AreaTaps(frame.height(), g.resizedHeight());
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
        if (shrinks) {
          xTaps.at(x - g.dstX() + g.srcX());
          yTaps.at(y - g.dstY() + g.srcY());
          for (int c = 0; c < 3; c++) {
            float v = area(frame, xTaps, yTaps, swap ? 2 - c : c);
            destination.put(at + c * plane, (v / 255f - mean[c]) / std[c]);
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

  /** The area-weighted value of one channel: rows weighted by {@code ys}, each row's taps by {@code xs}. */
  private static float area(Frame frame, AreaTaps xs, AreaTaps ys, int channel) {
    float sum = 0;
    for (int j = 0; j < ys.count; j++) {
      float row = 0;
      for (int i = 0; i < xs.count; i++) {
        row += xs.weight[i] * frame.at(xs.index[i], ys.index[j], channel);
      }
      sum += ys.weight[j] * row;
    }
    return sum;
  }

  /**
   * OpenCV INTER_AREA's source cells for one resized coordinate, and their weights (OpenCV's
   * {@code computeResizeAreaTab}): the resized pixel covers {@code [d × scale, (d + 1) × scale)} of the
   * source; each source pixel it overlaps weighs its overlap over the cell's width, overlaps under 1e-3
   * dropped; coordinates in double, weights in float.
   */
  private static final class AreaTaps {
    private final int sourceSize;
    private final double scale;
    final int[] index;
    final float[] weight;
    int count;

    AreaTaps(int sourceSize, int resizedSize) {
      this.sourceSize = sourceSize;
      this.scale = 1.0 / ((double) resizedSize / sourceSize); // as OpenCV's resize computes it
      int most = (int) Math.ceil(scale) + 2;
      this.index = new int[most];
      this.weight = new float[most];
    }

    void at(int d) {
      double from = d * scale;
      double to = from + scale;
      double cell = Math.min(scale, sourceSize - from);
      int last = Math.min((int) Math.floor(to), sourceSize - 1);
      int first = Math.min((int) Math.ceil(from), last);
      count = 0;
      if (first - from > 1e-3) {
        add(first - 1, (float) ((first - from) / cell));
      }
      for (int s = first; s < last; s++) {
        add(s, (float) (1.0 / cell));
      }
      if (to - last > 1e-3) {
        add(last, (float) (Math.min(Math.min(to - last, 1.0), cell) / cell));
      }
    }

    private void add(int source, float w) {
      index[count] = source;
      weight[count++] = w;
    }
  }

  /** OpenCV INTER_LINEAR's source coordinate, clamped as its replicated border makes it. */
  private static float sourceCoordinate(int resized, float scale, int sourceSize) {
    float s = (resized + 0.5f) * scale - 0.5f;
    return Math.min(Math.max(s, 0f), sourceSize - 1);
  }
}
