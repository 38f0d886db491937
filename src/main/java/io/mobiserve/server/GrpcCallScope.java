package io.mobiserve.server;

import io.grpc.Context;
import io.grpc.Deadline;
import io.mobiserve.batching.Priority;
import io.mobiserve.pipeline.CallScope;
import java.util.concurrent.TimeUnit;

/**
 * The {@link CallScope} of a gRPC call: carries its deadline and cancellation into the pipeline, which knows
 * nothing of gRPC.
 */
public final class GrpcCallScope {
  private GrpcCallScope() {}

  /**
   * The current call's scope, its source the caller {@link CallerInterceptor} put in the Context (for a
   * service registered behind it).
   */
  public static CallScope current(Priority priority) {
    return of(Context.current(), priority, CallerInterceptor.current());
  }

  /**
   * @param priority LIVE for stream frames, BULK for unary requests
   * @param source who is calling: the peer's address, or a stream's own name
   */
  public static CallScope of(Context context, Priority priority, String source) {
    Deadline deadline = context.getDeadline();
    long deadlineNanos = deadline == null
        ? Long.MAX_VALUE
        : System.nanoTime() + deadline.timeRemaining(TimeUnit.NANOSECONDS);
    return new CallScope(deadlineNanos, context::isCancelled, priority, source);
  }
}
