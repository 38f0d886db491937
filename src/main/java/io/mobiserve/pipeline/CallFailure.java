package io.mobiserve.pipeline;

import io.mobiserve.batching.SchedulingException;
import io.mobiserve.engine.EngineException;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a call's failure means to its caller, decided once for every front end: a {@link Code} and the
 * description to answer with. It knows the core's failures and no protocol: {@code server.StatusMapper}
 * turns it into a gRPC status, and {@code bench --in-process} counts a failure under the same code name as
 * the server would answer with, so that both bench targets count errors alike. Never answers UNKNOWN;
 * INTERNAL only for a fault of the server's, never for a client's input.
 *
 * @param code what the caller can do about it
 * @param description what went wrong, for the caller
 */
public record CallFailure(Code code, String description) {
  private static final Logger log = LoggerFactory.getLogger(CallFailure.class);

  /** The kinds of failure a caller acts on, each named as the gRPC status code it is answered with. */
  public enum Code {
    /** The request was wrong; retrying it as it is cannot succeed. */
    INVALID_ARGUMENT,
    /** The server is short of capacity or memory for now; a later retry may succeed. */
    RESOURCE_EXHAUSTED,
    /** The server is shutting down. */
    UNAVAILABLE,
    /** The caller's deadline passed before the work could be done. */
    DEADLINE_EXCEEDED,
    /** The call was cancelled. */
    CANCELLED,
    /** A fault of the server's. */
    INTERNAL
  }

  /**
   * The code and description of {@code failure} (its cause inside completion and execution wrappers). A
   * failure the core does not expect, or an {@link OutOfMemoryError}, is logged with its stack trace.
   */
  public static CallFailure of(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ImageRejectedException e) {
      return new CallFailure(Code.INVALID_ARGUMENT, e.getMessage());
    }
    if (cause instanceof SchedulingException e) {
      return new CallFailure(switch (e.reason()) {
        case QUEUE_FULL, MEMORY_FULL, OVERLOADED -> Code.RESOURCE_EXHAUSTED;
        case TOO_LARGE -> Code.INVALID_ARGUMENT;
        case SHUT_DOWN -> Code.UNAVAILABLE;
        case DEADLINE_EXPIRED -> Code.DEADLINE_EXCEEDED;
        case CANCELLED -> Code.CANCELLED;
      }, e.getMessage());
    }
    if (cause instanceof EngineException e) {
      return new CallFailure(Code.INTERNAL, "inference failed: " + e.getMessage());
    }
    if (cause instanceof CancellationException) {
      return new CallFailure(Code.CANCELLED, "the call was cancelled");
    }
    if (cause instanceof OutOfMemoryError) {
      // Transient: the server ran short of memory for this call; others may succeed, a retry may too.
      log.error("out of memory serving a call", cause);
      return new CallFailure(Code.RESOURCE_EXHAUSTED, "the server ran out of memory for this call; retry later");
    }
    log.error("unexpected failure", cause);
    return new CallFailure(Code.INTERNAL, "internal error: " + cause.getClass().getSimpleName());
  }

  /** How long the caller should wait before retrying {@code failure}, when the scheduler can tell. */
  public static OptionalLong retryAfterMillis(Throwable failure) {
    return unwrap(failure) instanceof SchedulingException e ? e.retryAfterMillis() : OptionalLong.empty();
  }

  /** The cause inside CompletionException and ExecutionException wrappers. */
  public static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
