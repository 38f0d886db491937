package io.mobiserve.preprocess;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.ByteBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * Turns client bytes into OpenCV Mats: decodes JPEG/PNG, or wraps raw pixels.
 *
 * <p>Must be called inside a {@link org.bytedeco.javacpp.PointerScope}: every native object made here is
 * attached to the caller's scope, which frees it. Stateless and thread-safe.
 */
final class OpenCvDecoder {

  private OpenCvDecoder() {}

  /**
   * Decodes to 8-bit BGR. IMREAD_COLOR also converts grey, grey+alpha, RGBA and 16-bit images, and
   * applies EXIF orientation.
   */
  static Mat decode(ByteBuffer data, ImageFormat format) throws InvalidImageException {
    Mat decoded;
    try {
      Mat encoded = wrap(data, 1, data.remaining(), CV_8UC1);
      decoded = opencv_imgcodecs.imdecode(encoded, opencv_imgcodecs.IMREAD_COLOR);
    } catch (RuntimeException e) { // JavaCPP rethrows cv::Exception as RuntimeException
      throw new InvalidImageException("corrupt " + format + " (decoder failed: " + e.getMessage() + ")", e);
    }
    if (decoded == null || decoded.empty()) {
      throw new InvalidImageException("corrupt " + format + " (decoder failed)");
    }
    if (decoded.type() != CV_8UC3) {
      throw new InvalidImageException("corrupt " + format + " (decoded to OpenCV type " + decoded.type() + ")");
    }
    return decoded;
  }

  /** Views (direct buffer) or copies once (heap buffer) {@code height × width × 3} raw pixels as a Mat. */
  static Mat wrapPixels(ByteBuffer pixels, int width, int height) {
    return wrap(pixels, height, width, CV_8UC3);
  }

  /**
   * A Mat over the bytes from the buffer's position to its limit. A direct buffer is viewed in place
   * (the Mat must not outlive it); a heap or read-only heap buffer (as protobuf hands out) is copied
   * once into native memory, since native code cannot see the Java heap.
   */
  private static Mat wrap(ByteBuffer data, int rows, int cols, int type) {
    BytePointer pointer;
    if (data.isDirect()) {
      pointer = new BytePointer(data.slice());
    } else {
      pointer = new BytePointer(data.remaining());
      pointer.asBuffer().put(data.duplicate());
    }
    return new Mat(rows, cols, type, pointer);
  }
}
