package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.CropGeometry;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * One frame of a batch as the preprocessing kernels read it: where its pixels are on the device, how
 * they are laid out, and the crop geometry. {@link #writeTo} lays it out exactly as
 * {@code mobiserve_image_descriptor} in {@code native/include/mobiserve_preprocess.h}; the caller copies an
 * array of them to the device.
 *
 * @param devicePixels device address of the frame's first row (HWC, 8 bits per channel)
 * @param width frame width in pixels
 * @param height frame height in pixels
 * @param rowPitch bytes from one row to the next, at least {@code 3 × width}
 * @param order the frame's channel order
 * @param geometry resize and crop for this frame and the model, from {@link CropGeometry#of}
 */
public record ImageDescriptor(
    long devicePixels, int width, int height, int rowPitch, ChannelOrder order, CropGeometry geometry) {

  /** The size of one descriptor in bytes, the header's {@code sizeof(mobiserve_image_descriptor)}. */
  public static final int BYTES = 56;

  public ImageDescriptor {
    Objects.requireNonNull(order, "order");
    Objects.requireNonNull(geometry, "geometry");
    if (devicePixels == 0) {
      throw new IllegalArgumentException("device pixel address must not be null");
    }
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("frame size must be positive, not " + width + "x" + height);
    }
    if (rowPitch < 3L * width) {
      throw new IllegalArgumentException("row pitch " + rowPitch + " is less than 3 x width = " + 3L * width);
    }
  }

  /**
   * The descriptor of a frame already on the device, with torchvision's resize and crop for the model.
   *
   * @throws InvalidImageException when the resize would exceed {@code limits}' pixel limit
   */
  public static ImageDescriptor forFrame(long devicePixels, int width, int height, int rowPitch, ChannelOrder order,
      InputShape shape, Preprocessing preprocessing, ImageLimits limits) throws InvalidImageException {
    CropGeometry geometry = CropGeometry.of(width, height, preprocessing.resizeShortSide(), shape.width(),
        shape.height(), limits.maxPixels());
    return new ImageDescriptor(devicePixels, width, height, rowPitch, order, geometry);
  }

  /**
   * Writes this descriptor at index {@code index} of an array of descriptors in {@code buffer}, from the
   * buffer's position; the buffer's own position, limit and byte order are unchanged.
   */
  public void writeTo(ByteBuffer buffer, int index) {
    // CUDA hosts (x86-64, aarch64) and GPUs are little-endian, whatever order the buffer was left in.
    ByteBuffer out = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int at = buffer.position() + Math.multiplyExact(index, BYTES);
    out.putLong(at, devicePixels);
    out.putInt(at + 8, width);
    out.putInt(at + 12, height);
    out.putInt(at + 16, rowPitch);
    out.putInt(at + 20, channelOrderCode(order));
    out.putInt(at + 24, geometry.resizedWidth());
    out.putInt(at + 28, geometry.resizedHeight());
    out.putInt(at + 32, geometry.srcX());
    out.putInt(at + 36, geometry.srcY());
    out.putInt(at + 40, geometry.dstX());
    out.putInt(at + 44, geometry.dstY());
    out.putInt(at + 48, geometry.copyWidth());
    out.putInt(at + 52, geometry.copyHeight());
  }

  /** MOBISERVE_RGB or MOBISERVE_BGR. */
  static int channelOrderCode(ChannelOrder order) {
    return switch (order) {
      case RGB -> 0;
      case BGR -> 1;
    };
  }
}
