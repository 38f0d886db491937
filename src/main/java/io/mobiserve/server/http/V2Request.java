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
 */
public record V2Request(
    String method, String path, String inferenceHeaderLength, byte[] body, String source, BooleanSupplier cancelled) {}
