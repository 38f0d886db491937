package io.mobiserve.cli;

/**
 * The process's exit codes: 0 success, 1 a failed call or run, 2 bad usage or a configuration that
 * cannot be served (a bad flag, an unservable model, a backend that is not available).
 */
final class ExitCodes {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int CONFIGURATION = 2;

  private ExitCodes() {}

  static int of(Throwable t) {
    return t instanceof ConfigurationException ? CONFIGURATION : FAILED;
  }
}
