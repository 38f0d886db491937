package io.mobiserve.security;

import java.nio.file.Path;

/** A certificate, key or token file that cannot be used; the message names the file and says why. */
public final class CredentialFileException extends Exception {
  private static final long serialVersionUID = 1L;
  private final transient Path file;

  public CredentialFileException(Path file, String problem) {
    super(file + ": " + problem);
    this.file = file;
  }

  /** The file at fault. */
  public Path file() {
    return file;
  }
}
