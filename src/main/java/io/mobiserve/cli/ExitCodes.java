package io.mobiserve.cli;

import io.mobiserve.runtime.BackendUnavailableException;
import picocli.CommandLine;

/**
 * The process's exit codes: 0 success, 1 a failed call or run, 2 bad usage or a configuration that
 * cannot be served (a bad flag, an unservable model, a backend that is not available), 3 a server that did
 * not answer at all ({@code health}: nothing listening, or no answer in time).
 */
final class ExitCodes {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int CONFIGURATION = 2;
  static final int UNREACHABLE = 3;

  private ExitCodes() {}

  static int of(Throwable t) {
    // A value picocli cannot parse (--fallback gpu, --max-batch lots) is as much bad usage as one we refuse.
    return t instanceof ConfigurationException || t instanceof BackendUnavailableException
        || t instanceof CommandLine.ParameterException ? CONFIGURATION : FAILED;
  }
}
