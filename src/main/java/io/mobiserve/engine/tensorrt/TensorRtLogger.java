package io.mobiserve.engine.tensorrt;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * TensorRT's log, written to SLF4J ({@code io.mobiserve.engine.tensorrt.TensorRT}) at the levels
 * {@link Levels} chooses. It also remembers the last few errors, so that a failed build or
 * deserialization can say why in its exception and not only in the log.
 *
 * <p>One instance for the process: TensorRT keeps the native peer of the logger it was given, so the Java
 * object must never be collected ({@link #INSTANCE} holds it). TensorRT may call {@link #log} from any
 * thread; the class is thread-safe.
 */
final class TensorRtLogger extends ILogger implements BatchOnStream.ErrorLog {
  private static final Logger LOG = LoggerFactory.getLogger("io.mobiserve.engine.tensorrt.TensorRT");
  private static final int REMEMBERED_ERRORS = 16;

  /** The process's logger; touching it loads the TensorRT presets. */
  static final TensorRtLogger INSTANCE = new TensorRtLogger();

  private final Deque<String> recentErrors = new ArrayDeque<>();
  private long errorCount;

  private TensorRtLogger() {}

  @Override
  public void log(Severity severity, String message) {
    Level level = Levels.of(severity.value);
    if (level == Level.ERROR) {
      remember(message);
    }
    if (LOG.isEnabledForLevel(level)) {
      LOG.atLevel(level).log(message);
    }
  }

  private synchronized void remember(String message) {
    errorCount++;
    if (recentErrors.size() == REMEMBERED_ERRORS) {
      recentErrors.removeFirst();
    }
    recentErrors.addLast(message);
  }

  /** A mark to pass to {@link #errorsSince} later. */
  synchronized long errorMark() {
    return errorCount;
  }

  /** The errors logged since {@code mark} (the last {@value #REMEMBERED_ERRORS} at most), oldest first. */
  synchronized List<String> errorsSince(long mark) {
    int newer = (int) Math.min(errorCount - mark, recentErrors.size());
    List<String> all = new ArrayList<>(recentErrors);
    return List.copyOf(all.subList(all.size() - newer, all.size()));
  }

  /** {@code ": error 1; error 2"} for the errors since {@code mark}, or a pointer to the log when none. */
  String errorSuffix(long mark) {
    List<String> errors = errorsSince(mark);
    return errors.isEmpty() ? " (see the TensorRT log)" : ": " + String.join("; ", errors);
  }

  @Override
  public long mark() {
    return errorMark();
  }

  @Override
  public String suffix(long mark) {
    return errorSuffix(mark);
  }

  /**
   * Which SLF4J level each TensorRT log severity is written at, by the severity's numeric value: the
   * presets hand the logger a fresh enum object on every call, so identity comparisons never match. Its
   * own class, so that it is usable without loading TensorRT (the logger's superclass loads it).
   *
   * <p>TensorRT's INFO goes to DEBUG: during a build TensorRT reports dozens of INFO lines (tactic
   * selection, memory pools, "local timing cache in use") that say nothing an operator acts on, and our own
   * builder logs the build's outcome at INFO.
   */
  static final class Levels {
    // nvinfer::ILogger::Severity values, stable since TensorRT 5.
    static final int INTERNAL_ERROR = 0;
    static final int ERROR = 1;
    static final int WARNING = 2;
    static final int INFO = 3;
    static final int VERBOSE = 4;

    private Levels() {}

    /** The level for a severity value; unknown (future) values are logged as warnings rather than lost. */
    static Level of(int severity) {
      return switch (severity) {
        case INTERNAL_ERROR, ERROR -> Level.ERROR;
        case WARNING -> Level.WARN;
        case INFO -> Level.DEBUG;
        case VERBOSE -> Level.TRACE;
        default -> Level.WARN;
      };
    }
  }
}
