package io.mobiserve.server;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.engine.EngineException;
import io.mobiserve.pipeline.ImageRejectedException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps what went wrong in the pipeline to the gRPC status a client acts on. Never answers UNKNOWN; INTERNAL
 * only for a fault of the server's, never for a client's input.
 */
public final class StatusMapper {
  private static final Logger log = LoggerFactory.getLogger(StatusMapper.class);

  private StatusMapper() {}

  public static Status toStatus(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusException e) {
      return e.getStatus();
    }
    if (cause instanceof StatusRuntimeException e) {
      return e.getStatus();
    }
    if (cause instanceof ImageRejectedException e) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
    }
    if (cause instanceof SchedulingException e) {
      return switch (e.reason()) {
        case QUEUE_FULL, MEMORY_FULL, OVERLOADED -> Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
        case TOO_LARGE -> Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        case SHUT_DOWN -> Status.UNAVAILABLE.withDescription(e.getMessage());
        case DEADLINE_EXPIRED -> Status.DEADLINE_EXCEEDED.withDescription(e.getMessage());
        case CANCELLED -> Status.CANCELLED.withDescription(e.getMessage());
      };
    }
    if (cause instanceof EngineException e) {
      return Status.INTERNAL.withDescription("inference failed: " + e.getMessage());
    }
    if (cause instanceof CancellationException) {
      return Status.CANCELLED.withDescription("the call was cancelled");
    }
    if (cause instanceof OutOfMemoryError) {
      // Transient: the server ran short of memory for this call; others may succeed, a retry may too.
      log.error("out of memory serving a call", cause);
      return Status.RESOURCE_EXHAUSTED.withDescription("the server ran out of memory for this call; retry later");
    }
    log.error("unexpected failure", cause);
    return Status.INTERNAL.withDescription("internal error: " + cause.getClass().getSimpleName());
  }

  /**
   * The status of {@code failure} as an exception to answer with, with the {@value #RETRY_PUSHBACK} trailer
   * when the server knows how long a retry should wait (gRPC's retry policies honour it).
   */
  public static StatusException toException(Throwable failure) {
    Status status = toStatus(failure);
    Metadata trailers = new Metadata();
    if (unwrap(failure) instanceof SchedulingException e && e.retryAfterMillis().isPresent()) {
      trailers.put(RETRY_PUSHBACK_KEY, Long.toString(e.retryAfterMillis().getAsLong()));
    }
    return status.asException(trailers);
  }

  /** gRPC's trailer telling a client when to retry, in milliseconds (the retry design, A6). */
  public static final String RETRY_PUSHBACK = "grpc-retry-pushback-ms";
  private static final Metadata.Key<String> RETRY_PUSHBACK_KEY =
      Metadata.Key.of(RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);

  /** The cause inside CompletionException and ExecutionException wrappers. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
