package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.batching.SchedulingException;
import io.mobiserve.batching.SchedulingException.Reason;
import io.mobiserve.engine.EngineException;
import io.mobiserve.pipeline.CallFailure;
import io.mobiserve.pipeline.ImageRejectedException;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Each failure of the core answered with the status a client acts on, the same for every front end. */
class StatusMapperTest {
  private static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of(StatusMapper.RETRY_PUSHBACK, Metadata.ASCII_STRING_MARSHALLER);

  @Test
  void eachCoreFailure_hasItsStatusAndDescription_wrappedOrNot() {
    Map<Throwable, Status> expected = Map.ofEntries(
        Map.entry(new ImageRejectedException(2, "not a JPEG or PNG", null),
            Status.INVALID_ARGUMENT.withDescription("image 2: not a JPEG or PNG")),
        Map.entry(new SchedulingException(Reason.QUEUE_FULL, "queue full"),
            Status.RESOURCE_EXHAUSTED.withDescription("queue full")),
        Map.entry(new SchedulingException(Reason.MEMORY_FULL, "memory full"),
            Status.RESOURCE_EXHAUSTED.withDescription("memory full")),
        Map.entry(new SchedulingException(Reason.OVERLOADED, "overloaded"),
            Status.RESOURCE_EXHAUSTED.withDescription("overloaded")),
        Map.entry(new SchedulingException(Reason.TOO_LARGE, "too large"),
            Status.INVALID_ARGUMENT.withDescription("too large")),
        Map.entry(new SchedulingException(Reason.SHUT_DOWN, "shutting down"),
            Status.UNAVAILABLE.withDescription("shutting down")),
        Map.entry(new SchedulingException(Reason.DEADLINE_EXPIRED, "deadline"),
            Status.DEADLINE_EXCEEDED.withDescription("deadline")),
        Map.entry(new SchedulingException(Reason.CANCELLED, "cancelled"),
            Status.CANCELLED.withDescription("cancelled")),
        Map.entry(new EngineException("CUDA error"), Status.INTERNAL.withDescription("inference failed: CUDA error")),
        Map.entry(new CancellationException(), Status.CANCELLED.withDescription("the call was cancelled")),
        Map.entry(new OutOfMemoryError("Java heap space"), Status.RESOURCE_EXHAUSTED
            .withDescription("the server ran out of memory for this call; retry later")),
        Map.entry(new IllegalStateException("bug"),
            Status.INTERNAL.withDescription("internal error: IllegalStateException")));

    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(CallFailure.class);
    log.start();
    logger.addAppender(log);
    logger.setAdditive(false); // the stack traces logged on purpose stay out of the build's output
    try {
      expected.forEach((failure, status) -> {
        for (Throwable wrapped : new Throwable[] {failure, new CompletionException(failure),
            new CompletionException(new ExecutionException(failure))}) {
          Status answer = StatusMapper.toStatus(wrapped);
          assertThat(answer.getCode()).as("%s", wrapped).isEqualTo(status.getCode());
          assertThat(answer.getDescription()).as("%s", wrapped).isEqualTo(status.getDescription());
        }
      });
    } finally {
      logger.setAdditive(true);
      logger.detachAppender(log);
    }

    // Only the server's own faults are logged, with their stack traces: once per call.
    assertThat(log.list).extracting(ILoggingEvent::getFormattedMessage)
        .containsExactlyInAnyOrder("unexpected failure", "unexpected failure", "unexpected failure",
            "out of memory serving a call", "out of memory serving a call", "out of memory serving a call");
    assertThat(log.list).allSatisfy(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.ERROR);
      assertThat(event.getThrowableProxy()).isNotNull();
    });
  }

  @Test
  void aGrpcFailure_keepsItsOwnStatus() {
    Status status = Status.PERMISSION_DENIED.withDescription("no token");

    assertThat(StatusMapper.toStatus(new CompletionException(status.asException()))).isSameAs(status);
    assertThat(StatusMapper.toStatus(status.asRuntimeException())).isSameAs(status);
  }

  @Test
  void aRefusalWithARetryTime_carriesThePushbackTrailer_othersDoNot() {
    StatusException refused = StatusMapper.toException(new CompletionException(
        new SchedulingException(Reason.QUEUE_FULL, "queue full", 250)));
    StatusException plain = StatusMapper.toException(new SchedulingException(Reason.QUEUE_FULL, "queue full"));

    assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(refused.getTrailers().get(PUSHBACK)).isEqualTo("250");
    assertThat(plain.getTrailers().get(PUSHBACK)).isNull();
  }

  @Test
  void everyCoreCode_isAGrpcCode() {
    for (CallFailure.Code code : CallFailure.Code.values()) {
      assertThat(StatusMapper.toStatus(new CallFailure(code, "why")).getCode().name()).isEqualTo(code.name());
    }
  }
}
