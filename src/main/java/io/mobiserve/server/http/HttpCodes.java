package io.mobiserve.server.http;

import io.grpc.Status;

/**
 * The HTTP status for a gRPC status code, as Triton's HTTP front end chooses them: 400 for a request that
 * is wrong, 404 for a model that is not served, 503 while it cannot serve, 500 when the engine failed; and
 * 429 for RESOURCE_EXHAUSTED (over a limit: try later or send less), 504 for DEADLINE_EXCEEDED.
 */
final class HttpCodes {
  private HttpCodes() {}

  static int of(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case NOT_FOUND -> 404;
      case UNAUTHENTICATED -> 401;
      case UNAVAILABLE -> 503;
      case INTERNAL, DATA_LOSS, UNKNOWN -> 500;
      case UNIMPLEMENTED -> 501;
      case RESOURCE_EXHAUSTED -> 429;
      case DEADLINE_EXCEEDED -> 504;
      default -> 400;
    };
  }
}
