package io.mobiserve.server.http;

import java.util.function.BooleanSupplier;

/**
 * One HTTP request as the routes need it, whatever server received it.
 *
 * @param method the HTTP method, e.g. "POST"
 * @param path the decoded path, without the query
 * @param inferenceHeaderLength the Inference-Header-Content-Length header, or null
 * @param body the whole body (empty for none)
 * @param source who is calling (the remote address), for fairness between callers
 * @param cancelled true once the client has gone
 * @param authorization the Authorization header ({@code Bearer TOKEN}), or null
 */
public record V2Request(String method, String path, String inferenceHeaderLength, byte[] body, String source,
    BooleanSupplier cancelled, String authorization) {

  /** A request without an Authorization header. */
  public V2Request(
      String method, String path, String inferenceHeaderLength, byte[] body, String source, BooleanSupplier cancelled) {
    this(method, path, inferenceHeaderLength, body, source, cancelled, null);
  }

  /** This request from {@code caller} (an authenticated caller's name), for fairness. */
  V2Request withSource(String caller) {
    return new V2Request(method, path, inferenceHeaderLength, body, caller, cancelled, authorization);
  }
}
