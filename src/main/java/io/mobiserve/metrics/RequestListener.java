package io.mobiserve.metrics;

/**
 * What the RPC front end reports about each call, for metrics. Knows nothing of gRPC: the method is its
 * full name ({@code mobiserve.v1.ClassifyService/Classify}) and the code a status code's name ({@code
 * OK}, {@code INVALID_ARGUMENT}). Called from many threads: implementations must be thread-safe, fast
 * and must not throw.
 */
public interface RequestListener {

  /** A call to {@code method} began. */
  void started(String method);

  /** The caller label of a call whose caller the front end cannot tell (it checks no tokens). */
  String ANONYMOUS = "anonymous";

  /**
   * A call to {@code method} that began earlier ended with {@code code} after {@code nanos}.
   *
   * @param caller who called, from a small set the operator bounds: the name of the caller's token,
   *     {@code anonymous} when the server checks no tokens, {@code unauthenticated} for a call without a valid
   *     one; never an address
   */
  void finished(String method, String caller, String code, long nanos);

  /** A client connection to the gRPC port is open (after its TLS handshake, when it speaks TLS). */
  default void connectionOpened() {}

  /** A connection {@link #connectionOpened} reported has closed. */
  default void connectionClosed() {}

  /** {@link #finished(String, String, String, long)} for a front end that checks no tokens. */
  default void finished(String method, String code, long nanos) {
    finished(method, ANONYMOUS, code, nanos);
  }
}
