package io.mobiserve.engine.tensorrt.frames;

import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import io.mobiserve.preprocess.CropGeometry;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.preprocess.InvalidImageException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Objects;

/**
 * Where each raw frame of a batch goes in one staging buffer, and the kernel descriptors that point at
 * it: the GPU-free half of {@link TensorRtFrameEngine#inferFrames}. Frames are packed HWC with no row padding,
 * each starting on a {@link #ALIGNMENT}-byte boundary from the buffer's start, so that the kernel's reads
 * of each frame start aligned on the device too (cudaMalloc returns 256-byte aligned memory).
 *
 * <p>{@link #of} validates every frame first, so a layout always describes a batch the kernel can take.
 * Immutable; it keeps the frames' buffers (not copies) until {@link #copyFrames}.
 */
final class FrameBatchLayout {
  static final int ALIGNMENT = 256;
  /** One staging buffer is one {@link ByteBuffer}, indexed by int. */
  static final long MAX_TOTAL_BYTES = Integer.MAX_VALUE;

  private final List<ImageInput.Raw> frames;
  private final long[] offsets;
  private final CropGeometry[] geometries;
  private final long totalBytes;

  private FrameBatchLayout(List<ImageInput.Raw> frames, long[] offsets, CropGeometry[] geometries, long totalBytes) {
    this.frames = frames;
    this.offsets = offsets;
    this.geometries = geometries;
    this.totalBytes = totalBytes;
  }

  /** As {@link #of(List, InputShape, Preprocessing, ImageLimits, long)} with {@link #MAX_TOTAL_BYTES}. */
  static FrameBatchLayout of(List<ImageInput.Raw> frames, InputShape shape, Preprocessing preprocessing,
      ImageLimits limits) throws InvalidImageException {
    return of(frames, shape, preprocessing, limits, MAX_TOTAL_BYTES);
  }

  /**
   * Lays out {@code frames} for a model with input {@code shape} and {@code preprocessing}.
   *
   * @throws InvalidImageException naming the frame's index and the problem (e.g. {@code "frame 2: 640x480
   *     RGB needs 921600 bytes, got 921599"}) when a frame is empty, over {@code limits}' pixel limit
   *     before or after the resize, or its byte count is not {@code width × height × 3}; or when the
   *     batch needs more than {@code maxTotalBytes} of staging
   * @throws IllegalArgumentException when {@code frames} is empty (the batch size is the caller's check)
   */
  static FrameBatchLayout of(List<ImageInput.Raw> frames, InputShape shape, Preprocessing preprocessing,
      ImageLimits limits, long maxTotalBytes) throws InvalidImageException {
    Objects.requireNonNull(frames, "frames");
    if (frames.isEmpty()) {
      throw new IllegalArgumentException("a batch needs at least one frame");
    }
    List<ImageInput.Raw> copy = List.copyOf(frames); // also rejects null frames
    long[] offsets = new long[copy.size()];
    CropGeometry[] geometries = new CropGeometry[copy.size()];
    long end = 0;
    for (int i = 0; i < copy.size(); i++) {
      geometries[i] = validate(i, copy.get(i), shape, preprocessing, limits);
      offsets[i] = alignUp(end);
      end = offsets[i] + frameBytes(copy.get(i));
    }
    if (end > maxTotalBytes) {
      throw new InvalidImageException("a batch of " + copy.size() + " frames needs " + end
          + " bytes of staging, over the limit of " + maxTotalBytes);
    }
    return new FrameBatchLayout(copy, offsets, geometries, end);
  }

  private static CropGeometry validate(int index, ImageInput.Raw frame, InputShape shape, Preprocessing preprocessing,
      ImageLimits limits) throws InvalidImageException {
    Objects.requireNonNull(frame.pixels(), () -> "frame " + index + " has no pixels");
    Objects.requireNonNull(frame.order(), () -> "frame " + index + " has no channel order");
    int width = frame.width();
    int height = frame.height();
    String prefix = "frame " + index + ": ";
    if (width < 1 || height < 1) {
      throw new InvalidImageException(prefix + "width and height must be at least 1, got " + width + "x" + height);
    }
    if ((long) width * height > limits.maxPixels()) {
      throw new InvalidImageException(prefix + width + "x" + height + " is over the limit of " + limits.maxPixels()
          + " pixels");
    }
    long needed = frameBytes(frame);
    if (frame.pixels().remaining() != needed) {
      throw new InvalidImageException(prefix + width + "x" + height + " " + frame.order() + " needs " + needed
          + " bytes, got " + frame.pixels().remaining());
    }
    try {
      return CropGeometry.of(width, height, preprocessing.resizeShortSide(), shape.width(), shape.height(),
          limits.maxPixels());
    } catch (InvalidImageException e) {
      throw new InvalidImageException(prefix + e.getMessage(), e);
    }
  }

  private static long frameBytes(ImageInput.Raw frame) {
    return 3L * frame.width() * frame.height();
  }

  /** {@code n} rounded up to a multiple of {@link #ALIGNMENT}. */
  static long alignUp(long n) {
    return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  int frameCount() {
    return frames.size();
  }

  /** Where frame {@code index} starts, in bytes from the staging buffer's start; a multiple of 256. */
  long offset(int index) {
    return offsets[index];
  }

  /** The staging bytes the batch needs: the end of the last frame. */
  long totalBytes() {
    return totalBytes;
  }

  CropGeometry geometry(int index) {
    return geometries[index];
  }

  /** Frame {@code index}'s descriptor once the staging buffer is on the device at {@code deviceBase}. */
  ImageDescriptor descriptor(int index, long deviceBase) {
    ImageInput.Raw frame = frames.get(index);
    return new ImageDescriptor(deviceBase + offsets[index], frame.width(), frame.height(), 3 * frame.width(),
        frame.order(), geometries[index]);
  }

  /** Writes every frame's descriptor, in order, from {@code destination}'s position (left unchanged). */
  void writeDescriptors(ByteBuffer destination, long deviceBase) {
    requireRoom(destination, (long) frames.size() * ImageDescriptor.BYTES, "descriptors");
    for (int i = 0; i < frames.size(); i++) {
      descriptor(i, deviceBase).writeTo(destination, i);
    }
  }

  /**
   * Copies every frame's bytes to its offset from {@code destination}'s position; neither the
   * destination's nor the frames' positions move. The gaps before aligned offsets are left as they were.
   */
  void copyFrames(ByteBuffer destination) {
    requireRoom(destination, totalBytes, "frames");
    int base = destination.position();
    for (int i = 0; i < frames.size(); i++) {
      ByteBuffer pixels = frames.get(i).pixels();
      destination.put(base + (int) offsets[i], pixels, pixels.position(), pixels.remaining());
    }
  }

  private static void requireRoom(ByteBuffer destination, long bytes, String what) {
    if (destination.remaining() < bytes) {
      throw new IllegalArgumentException(what + " need " + bytes + " bytes, the buffer has " + destination.remaining());
    }
  }
}
