package io.mobiserve.server.auth;

import io.mobiserve.metrics.RequestListener;

/**
 * Who is calling, as far as the server can tell.
 *
 * @param name who the caller is, for fairness between callers in the batcher: the name of its token, else the
 *     subject of its client certificate, else the remote address of its connection
 * @param label the caller in the request metrics, from a set the operator bounds: the token's name,
 *     {@value #ANONYMOUS} when the server checks no tokens, {@value #UNAUTHENTICATED} when it does and the call
 *     brought no valid one (never an address or a certificate subject, which are unbounded)
 * @param admitted false when the server requires a token and the call brought no valid one
 */
public record Caller(String name, String label, boolean admitted) {
  /** The label of every call while the server checks no tokens. */
  public static final String ANONYMOUS = RequestListener.ANONYMOUS;
  /** The label of a call without a valid token while the server checks tokens. */
  public static final String UNAUTHENTICATED = "unauthenticated";
}
