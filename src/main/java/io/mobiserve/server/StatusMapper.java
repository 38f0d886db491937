package io.mobiserve.server;

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

/** Maps what went wrong in the pipeline to the gRPC status a client acts on. Never answers UNKNOWN. */
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
        case QUEUE_FULL -> Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage());
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
    log.error("unexpected failure", cause);
    return Status.INTERNAL.withDescription("internal error: " + cause.getClass().getSimpleName());
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
