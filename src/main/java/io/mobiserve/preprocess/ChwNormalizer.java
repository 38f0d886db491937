package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Copies the crop window of a resized 8-bit, 3-channel Mat into the destination as normalized CHW
 * floats in the model's channel order; pixels outside the image (torchvision's zero padding) become
 * the normalized value of a 0 byte.
 *
 * <p>{@code (x / 255 - mean[c]) / std[c]} has only 256 values per channel, so they are computed once
 * into lookup tables: the per-pixel work is three table reads. Immutable and thread-safe; the per-call
 * scratch rows are small and local.
 */
final class ChwNormalizer {
  private final int height;
  private final int width;
  private final ChannelOrder modelOrder;
  /** lut[c][v]: the input value for byte v of model channel c. */
  private final float[][] lut = new float[3][256];

  ChwNormalizer(InputShape shape, Preprocessing preprocessing) {
    this.height = shape.height();
    this.width = shape.width();
    this.modelOrder = preprocessing.channelOrder();
    float[] mean = preprocessing.mean();
    float[] std = preprocessing.std();
    for (int c = 0; c < 3; c++) {
      for (int v = 0; v < 256; v++) {
        lut[c][v] = (v / 255f - mean[c]) / std[c];
      }
    }
  }

  /**
   * Writes {@code 3 × height × width} floats at {@code destination}'s position and advances it. The
   * caller has checked that they fit, so nothing here can fail half-way.
   */
  void write(Mat resized, ChannelOrder sourceOrder, CropGeometry g, FloatBuffer destination) {
    int plane = height * width;
    int base = destination.position();
    // byte offset within a source pixel of each model channel
    int s0 = sourceOrder == modelOrder ? 0 : 2;
    int s1 = 1;
    int s2 = 2 - s0;
    float[] lut0 = lut[0];
    float[] lut1 = lut[1];
    float[] lut2 = lut[2];

    float[] row0 = new float[width];
    float[] row1 = new float[width];
    float[] row2 = new float[width];
    byte[] bytes = new byte[g.copyWidth() * 3];
    BytePointer data = resized.data();
    long step = resized.step();
    boolean padded = g.copyWidth() < width;
    if (padded) { // columns outside the image stay at the padding value in every row
      Arrays.fill(row0, lut0[0]);
      Arrays.fill(row1, lut1[0]);
      Arrays.fill(row2, lut2[0]);
    }

    for (int y = 0; y < height; y++) {
      int srcRow = y - g.dstY() + g.srcY();
      if (y < g.dstY() || y >= g.dstY() + g.copyHeight()) {
        writePaddingRow(destination, base + y * width, plane);
        continue;
      }
      data.position(srcRow * step + g.srcX() * 3L).get(bytes, 0, bytes.length);
      int x0 = g.dstX();
      for (int x = 0, i = 0; x < g.copyWidth(); x++, i += 3) {
        row0[x0 + x] = lut0[bytes[i + s0] & 0xFF];
        row1[x0 + x] = lut1[bytes[i + s1] & 0xFF];
        row2[x0 + x] = lut2[bytes[i + s2] & 0xFF];
      }
      int at = base + y * width;
      destination.put(at, row0, 0, width);
      destination.put(at + plane, row1, 0, width);
      destination.put(at + 2 * plane, row2, 0, width);
    }
    destination.position(base + 3 * plane);
  }

  private void writePaddingRow(FloatBuffer destination, int at, int plane) {
    for (int c = 0; c < 3; c++) {
      float pad = lut[c][0];
      for (int x = 0; x < width; x++) {
        destination.put(at + c * plane + x, pad);
      }
    }
  }
}
