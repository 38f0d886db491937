package io.mobiserve.preprocess;

import java.nio.FloatBuffer;

/**
 * Turns one client image into the model's input: decode (for encoded images), resize, centre-crop,
 * normalize, CHW. Implementations are safe to call from many threads at once.
 */
public interface ImagePreprocessor {

  /**
   * Writes the model input for {@code image} into {@code destination} at its position, advancing the
   * position by C × H × W.
   *
   * @throws InvalidImageException when the image is corrupt, truncated, unsupported, over a limit or of
   *     the wrong size; nothing is written then
   */
  void preprocess(ImageInput image, FloatBuffer destination) throws InvalidImageException;

  /**
   * A tensor input, checked (its size and that every value is finite) and read where it lies: a view of its
   * bytes as C × H × W floats, so that it is copied only once, into the engine's memory.
   *
   * @throws InvalidImageException when the tensor has the wrong size or a value that is NaN or infinite
   */
  FloatBuffer checkedTensor(ImageInput.Tensor tensor) throws InvalidImageException;

  /**
   * The native memory preprocessing {@code image} takes at its peak, beyond the image's own bytes and the
   * model input it writes — a copy of the input, the decoded and the resized pixels — read from the image's
   * header without decoding it, so that the memory can be reserved before any is used. 0 for a tensor.
   *
   * @throws InvalidImageException for what preprocessing would refuse from the header alone: an empty or
   *     oversized file, an unknown format, a header that cannot be read, too many pixels
   */
  long workingBytes(ImageInput image) throws InvalidImageException;
}
