package io.mobiserve.preprocess;

/**
 * torchvision's eval geometry for one source size: {@code Resize(shortSide)} then
 * {@code CenterCrop(cropHeight, cropWidth)}, as numbers only.
 *
 * <p>The crop window may be larger than the resized image in either dimension; torchvision then pads
 * with zero pixels, {@code (crop - size) // 2} before and the rest after. So the output is: the
 * region {@code [srcX, srcX + copyWidth) × [srcY, srcY + copyHeight)} of the resized image placed at
 * {@code (dstX, dstY)} of the crop, and zero pixels elsewhere.
 *
 * <p>Public because the GPU kernels (engine/tensorrt/frames) take the same numbers, so CPU and GPU
 * cannot disagree about where the crop is.
 *
 * @param resizedWidth width after the resize
 * @param resizedHeight height after the resize
 * @param srcX first resized column copied
 * @param srcY first resized row copied
 * @param dstX output column it lands on (non-zero only when padding)
 * @param dstY output row it lands on (non-zero only when padding)
 * @param copyWidth columns copied
 * @param copyHeight rows copied
 */
public record CropGeometry(
    int resizedWidth, int resizedHeight, int srcX, int srcY, int dstX, int dstY, int copyWidth, int copyHeight) {

  /**
   * @throws InvalidImageException when the resize would make more than {@code maxResizedPixels} pixels:
   *     a 1×1,000,000 image is within any pixel limit, but resizing its short side to 256 would make
   *     256×256,000,000 of them
   */
  public static CropGeometry of(int width, int height, int shortSide, int cropWidth, int cropHeight, long maxResizedPixels)
      throws InvalidImageException {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("image size must be positive, not " + width + "x" + height);
    }
    int shortest = Math.min(width, height);
    int longest = Math.max(width, height);
    // torchvision: new_long = int(size * long / short), a float division truncated towards zero
    long resizedLong = (long) ((double) ((long) shortSide * longest) / shortest);
    if (resizedLong * shortSide > maxResizedPixels) {
      throw new InvalidImageException("image is " + width + "x" + height + ", too elongated: resizing its short side to "
          + shortSide + " would make " + resizedLong * shortSide + " pixels, over the limit of " + maxResizedPixels);
    }
    int resizedWidth = width <= height ? shortSide : (int) resizedLong;
    int resizedHeight = width <= height ? (int) resizedLong : shortSide;
    Axis x = Axis.of(resizedWidth, cropWidth);
    Axis y = Axis.of(resizedHeight, cropHeight);
    return new CropGeometry(resizedWidth, resizedHeight, x.src, y.src, x.dst, y.dst, x.length, y.length);
  }

  /** True when the resize makes the image larger, where OpenCV's area filter is the wrong choice. */
  public boolean enlarges(int width, int height) {
    return (long) resizedWidth * resizedHeight > (long) width * height;
  }

  private record Axis(int src, int dst, int length) {
    static Axis of(int size, int crop) {
      if (size < crop) {
        return new Axis(0, (crop - size) / 2, size);
      }
      // Python's round() rounds halves to even, and so does Math.rint: 4.5 -> 4, 5.5 -> 6.
      return new Axis((int) Math.rint((size - crop) / 2.0), 0, crop);
    }
  }
}
