package io.mobiserve.cli;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations as people write them: {@code 30s}, {@code 500ms}, {@code 2m}, or plain seconds. */
final class DurationConverter implements ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (text.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2).trim()));
      }
      if (text.endsWith("m")) {
        return seconds(Double.parseDouble(text.substring(0, text.length() - 1).trim()) * 60);
      }
      if (text.endsWith("s")) {
        return seconds(Double.parseDouble(text.substring(0, text.length() - 1).trim()));
      }
      return seconds(Double.parseDouble(text));
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + value + "' is not a duration: write e.g. 30s, 500ms or 2m");
    }
  }

  private static Duration seconds(double seconds) {
    if (!(seconds >= 0) || Double.isInfinite(seconds)) {
      throw new TypeConversionException("a duration must not be negative, not " + seconds + " s");
    }
    return Duration.ofNanos(Math.round(seconds * 1e9));
  }
}
