package io.mobiserve.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a refusal that reaches a client must look like, as the fuzz tests check it: a message that says
 * something, and no negative number in it. A negative size in a message ({@code needs -25769803773 bytes},
 * {@code got -46326x-1431624881}) is arithmetic that overflowed past a check.
 */
public final class Refusals {
  /**
   * A minus sign right before a digit where a number starts: at the start, after a space or punctuation,
   * or after the {@code x} of a size ({@code 12x-5}). Not in a word or a version ({@code opencv-4.13}).
   */
  private static final Pattern NEGATIVE_NUMBER = Pattern.compile("(?:^|[^\\w.-]|\\dx)-\\d");
  /** An enum value is not a size: protobuf enums are int32, and the message quotes what the client sent. */
  private static final Pattern QUOTED_ENUM_VALUE = Pattern.compile("unknown channel order -\\d+");

  private Refusals() {}

  /** @throws AssertionError when {@code message} is empty or shows a negative number */
  public static void requireReadable(String message) {
    requireReadable(message, null);
  }

  /**
   * As {@link #requireReadable(String)}, leaving out of the number check the text of {@code cause}
   * when the message quotes it: a native library's own words (OpenCV's error text carries its error
   * code, {@code (-215:Assertion failed)}, and its build paths).
   */
  public static void requireReadable(String message, Throwable cause) {
    if (message == null || message.isBlank()) {
      throw new AssertionError("a refusal without a message");
    }
    String ours = message;
    if (cause != null && cause.getMessage() != null) {
      ours = ours.replace(cause.getMessage(), "");
    }
    ours = QUOTED_ENUM_VALUE.matcher(ours).replaceAll("");
    Matcher negative = NEGATIVE_NUMBER.matcher(ours);
    if (negative.find()) {
      throw new AssertionError("a refusal shows a negative number (an overflowed size?): " + message);
    }
  }
}
