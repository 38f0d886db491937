package io.mobiserve.bench;

import java.util.concurrent.CompletableFuture;

/**
 * What a bench sends requests to: a server over gRPC, or a model runtime in this JVM. Safe to call from
 * many threads at once.
 */
public interface LoadTarget extends AutoCloseable {

  /**
   * Sends request number {@code sequence} (its images are chosen from the sequence number) and completes
   * with its checked outcome; never completes exceptionally.
   */
  CompletableFuture<Outcome> send(long sequence);

  /** What the requests go to, for the report. */
  String describe();

  @Override
  void close();
}
