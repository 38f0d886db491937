package io.mobiserve.server;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.mobiserve.pipeline.CallFailure;

/**
 * Maps what went wrong in the pipeline to the gRPC status a client acts on: the code and description
 * {@link CallFailure} decides (never UNKNOWN; INTERNAL only for a fault of the server's, never for a
 * client's input), or the status a gRPC failure already carries.
 */
public final class StatusMapper {
  private StatusMapper() {}

  public static Status toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusException e) {
      return e.getStatus();
    }
    if (cause instanceof StatusRuntimeException e) {
      return e.getStatus();
    }
    return toStatus(CallFailure.of(cause));
  }

  /** The gRPC status of a core failure: the code of the same name, with its description. */
  static Status toStatus(CallFailure failure) {
    return Status.fromCode(Status.Code.valueOf(failure.code().name())).withDescription(failure.description());
  }

  /**
   * The status of {@code failure} as an exception to answer with, with the {@value #RETRY_PUSHBACK} trailer
   * when the server knows how long a retry should wait (gRPC's retry policies honour it).
   */
  public static StatusException toException(Throwable failure) {
    Status status = toStatus(failure);
    Metadata trailers = new Metadata();
    CallFailure.retryAfterMillis(failure)
        .ifPresent(millis -> trailers.put(RETRY_PUSHBACK_KEY, Long.toString(millis)));
    return status.asException(trailers);
  }

  /** gRPC's trailer telling a client when to retry, in milliseconds (the retry design, A6). */
  public static final String RETRY_PUSHBACK = "grpc-retry-pushback-ms";
  private static final Metadata.Key<String> RETRY_PUSHBACK_KEY =
      Metadata.Key.of(RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);

  /** The cause inside CompletionException and ExecutionException wrappers. */
  public static Throwable unwrap(Throwable failure) {
    return CallFailure.unwrap(failure);
  }
}
