package io.mobiserve.batching;

/** How urgent work is. Live stream frames go ahead of bulk requests; bulk work is never starved. */
public enum Priority {
  /** Live video frames from ClassifyStream: a late answer is worth little. */
  LIVE,
  /** Unary Classify requests. */
  BULK
}
