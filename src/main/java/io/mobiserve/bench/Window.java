package io.mobiserve.bench;

/**
 * One measurement window of a step.
 *
 * @param seconds how long the window lasted
 * @param requestsPerSecond completed requests per second in the window
 * @param p99Ms the 99th percentile of the latencies completed in the window
 */
public record Window(double seconds, double requestsPerSecond, double p99Ms) {}
