package io.mobiserve.metrics;

/**
 * What the RPC front end reports about each call, for metrics. Knows nothing of gRPC: the method is its
 * full name ({@code mobiserve.v1.ClassifyService/Classify}) and the code a status code's name ({@code
 * OK}, {@code INVALID_ARGUMENT}). Called from many threads: implementations must be thread-safe, fast
 * and must not throw.
 */
public interface RequestListener {

  /** A call to {@code method} began. */
  void started(String method);

  /** A call to {@code method} that began earlier ended with {@code code} after {@code nanos}. */
  void finished(String method, String code, long nanos);
}
