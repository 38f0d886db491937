package io.mobiserve.server.http;

import com.google.gson.JsonObject;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.server.StatusMapper;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP response: a status, and a JSON body, possibly followed by binary tensor data.
 *
 * @param status the HTTP status code
 * @param body the bytes to send (empty for none)
 * @param jsonLength how many leading bytes of the body are JSON; -1 when all of it is (no binary data)
 * @param code what the metrics count the call as: the gRPC status code a gRPC call would have ended with
 * @param retryAfterSeconds for a transient refusal, when a retry could succeed (the {@code Retry-After}
 *     header); -1 when the server cannot tell
 */
public record V2Reply(int status, byte[] body, int jsonLength, Status.Code code, long retryAfterSeconds) {
  private static final byte[] EMPTY = new byte[0];

  /** A status with an empty body, as the health routes answer. */
  static V2Reply empty(int status, Status.Code code) {
    return new V2Reply(status, EMPTY, -1, code, -1);
  }

  /** 200 with {@code json}. */
  static V2Reply ok(JsonObject json) {
    return new V2Reply(200, json.toString().getBytes(StandardCharsets.UTF_8), -1, Status.Code.OK, -1);
  }

  /** {"error": description}, with the HTTP status that matches the status's code. */
  static V2Reply error(Status status) {
    return error(HttpCodes.of(status.getCode()), status.getCode(), status.getDescription());
  }

  /**
   * The failure of a call as gRPC would answer it, with the HTTP status that matches its code and, for a
   * transient refusal with gRPC's retry pushback, the same advice in seconds.
   */
  static V2Reply error(Throwable failure) {
    StatusException answer = failure instanceof StatusException e ? e : StatusMapper.toException(failure);
    Status status = answer.getStatus();
    V2Reply reply = error(status);
    String pushback = answer.getTrailers() == null ? null : answer.getTrailers().get(PUSHBACK);
    if (pushback == null) {
      return reply;
    }
    long seconds = Math.max(1, (Long.parseLong(pushback) + 999) / 1000);
    return new V2Reply(reply.status, reply.body, reply.jsonLength, reply.code, seconds);
  }

  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of(StatusMapper.RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);

  /** {"error": message}, as the protocol answers every failure. */
  static V2Reply error(int httpStatus, Status.Code code, String message) {
    JsonObject error = new JsonObject();
    error.addProperty("error", message);
    return new V2Reply(httpStatus, error.toString().getBytes(StandardCharsets.UTF_8), -1, code, -1);
  }

  /** Whether binary tensor data follows the JSON (the Inference-Header-Content-Length header is then set). */
  public boolean hasBinary() {
    return jsonLength >= 0;
  }

  /** "application/json", "application/octet-stream" when binary data follows the JSON, or null for no body. */
  public String contentType() {
    return hasBinary() ? "application/octet-stream" : body.length == 0 ? null : "application/json";
  }
}
