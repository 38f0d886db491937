package io.mobiserve.preprocess;

import io.mobiserve.model.ChannelOrder;
import java.nio.ByteBuffer;

/**
 * One image as a client sent it, before preprocessing. The buffers are read from their position to their
 * limit and are not modified.
 */
public sealed interface ImageInput {

  /** A JPEG or PNG file's bytes. */
  record Encoded(ByteBuffer data) implements ImageInput {}

  /** Decoded 8-bit pixels, height × width × 3, in {@code order}. */
  record Raw(ByteBuffer pixels, int width, int height, ChannelOrder order) implements ImageInput {}

  /** A preprocessed float32 CHW tensor, little-endian. */
  record Tensor(ByteBuffer float32LittleEndian) implements ImageInput {}
}
