package io.mobiserve.preprocess;

import static org.assertj.core.api.Assertions.assertThat;

import io.mobiserve.testing.Refusals;
import java.nio.ByteBuffer;

/**
 * What a format's checks before decoding (its header read and its end check) make of some bytes, asserting
 * on the way what must hold for any input: a header inside the format's size range or a refusal a client can
 * read, an end check that passes or refuses likewise, and a buffer whose position and limit nothing moved.
 * The fuzz tests compare these outcomes for the same bytes alone and embedded in a larger buffer.
 */
final class PreDecodeChecks {
  private PreDecodeChecks() {}

  /** A format's header read. */
  @FunctionalInterface
  interface HeaderRead {
    ImageHeader read(ByteBuffer data) throws InvalidImageException;
  }

  /** A format's check that the bytes hold a whole image. */
  @FunctionalInterface
  interface EndCheck {
    void require(ByteBuffer data) throws InvalidImageException;
  }

  /** Whether the preprocessor would hand {@code data} to {@code format}'s checks: its magic bytes say so. */
  static boolean startsAs(ImageFormat format, ByteBuffer data) {
    try {
      return ImageFormat.detect(data) == format;
    } catch (InvalidImageException e) {
      return false;
    }
  }

  /**
   * The header's size or its refusal, then the end check's verdict.
   *
   * @param maxSide the largest width or height the format can state
   */
  static String outcome(ByteBuffer data, ImageFormat format, int maxSide, HeaderRead headerRead, EndCheck endCheck) {
    int position = data.position();
    int limit = data.limit();
    String header;
    try {
      ImageHeader read = headerRead.read(data);
      assertThat(read.format()).isEqualTo(format);
      assertThat(read.width()).isBetween(1, maxSide);
      assertThat(read.height()).isBetween(1, maxSide);
      header = read.width() + "x" + read.height();
    } catch (InvalidImageException e) {
      Refusals.requireReadable(e.getMessage());
      header = e.getMessage();
    }
    String end;
    try {
      endCheck.require(data);
      end = "complete";
    } catch (InvalidImageException e) {
      Refusals.requireReadable(e.getMessage());
      end = e.getMessage();
    }
    assertThat(data.position()).as("position").isEqualTo(position);
    assertThat(data.limit()).as("limit").isEqualTo(limit);
    return header + " / " + end;
  }
}
