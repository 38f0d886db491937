package io.mobiserve.bench;

/**
 * How one request ended, as the client saw it.
 *
 * @param completedNanos {@link System#nanoTime()} when the answer (or the error) arrived
 * @param error null on success, else a gRPC status code name (or a client-side code such as {@code
 *     BAD_RESPONSE} when the answer was wrong)
 * @param detail what went wrong, for people; empty on success
 * @param serverNanos the server's time on the request: the longest preprocess + queue + inference of
 *     its images
 * @param preprocessNanos per image, from the result's timings
 * @param queueNanos per image
 * @param inferenceNanos per image
 * @param retryAfterNanos for a refusal, how long the server asked the client to wait before retrying
 *     (gRPC's retry pushback); 0 when it did not say
 */
public record Outcome(
    long completedNanos,
    String error,
    String detail,
    long serverNanos,
    long[] preprocessNanos,
    long[] queueNanos,
    long[] inferenceNanos,
    long retryAfterNanos) {

  private static final long[] NONE = new long[0];

  public static Outcome failure(String code, String detail) {
    return refusal(code, detail, 0);
  }

  /** A failure whose server asked to wait {@code retryAfterNanos} before retrying. */
  public static Outcome refusal(String code, String detail, long retryAfterNanos) {
    return new Outcome(System.nanoTime(), code, detail, 0, NONE, NONE, NONE, Math.max(0, retryAfterNanos));
  }

  /** A success whose per-image timings are given in nanoseconds. */
  public static Outcome success(long completedNanos, long[] preprocess, long[] queue, long[] inference) {
    long server = 0;
    for (int i = 0; i < preprocess.length; i++) {
      server = Math.max(server, preprocess[i] + queue[i] + inference[i]);
    }
    return new Outcome(completedNanos, null, "", server, preprocess, queue, inference, 0);
  }

  public boolean ok() {
    return error == null;
  }
}
