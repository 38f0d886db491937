package io.mobiserve.server.stream;

import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.StreamOptions;
import io.mobiserve.api.v1.StreamPolicy;
import java.util.Locale;

/**
 * A stream's policy and the bounds that follow from it, fixed when the stream opens: from the first
 * message's {@code stream_options}, else from the {@value #POLICY_HEADER} call header, else BLOCK.
 *
 * @param latest true for STREAM_POLICY_LATEST (drop stale frames), false for BLOCK (answer every frame)
 * @param maxPending LATEST: the most frames waiting to be submitted to the pipeline before the oldest
 *     is dropped; BLOCK: unused (the window bounds them)
 * @param maxInFlight the most frames of this stream in the pipeline (preprocessing, queued or running)
 * @param window BLOCK: the most frames the stream holds at once — waiting, in the pipeline, or answered
 *     but not yet written — plus those asked of gRPC and not yet delivered. LATEST: the same, counting
 *     only frames that still hold their images (waiting or in the pipeline); answered frames, which keep
 *     only their small answers, are bounded separately by {@link #LATEST_OUTBOX_LIMIT}. With the largest
 *     message size, this bounds the stream's memory.
 */
public record StreamSettings(boolean latest, int maxPending, int maxInFlight, int window) {
  static final String POLICY_HEADER = "mobiserve-stream-policy";
  /** The largest max_pending_frames a client may ask for. */
  static final int MAX_PENDING_LIMIT = 64;
  static final int BLOCK_WINDOW = 8;
  /**
   * LATEST keeps few frames in the pipeline so that the others wait where they can still be dropped; two
   * let one frame preprocess while the previous one is inferred.
   */
  static final int LATEST_IN_FLIGHT = 2;
  /** LATEST: frames asked for beyond those waiting and in the pipeline, so that reading runs ahead. */
  static final int LATEST_READ_AHEAD = 4;
  /**
   * LATEST: the most frames held in all, most of them answered (DROPPED) frames waiting to be written
   * behind a frame still in the pipeline; only a client that does not read fills it.
   */
  static final int LATEST_OUTBOX_LIMIT = 256;

  static final StreamSettings BLOCK = new StreamSettings(false, BLOCK_WINDOW, BLOCK_WINDOW, BLOCK_WINDOW);

  static StreamSettings latest(int maxPending) {
    return new StreamSettings(true, maxPending, LATEST_IN_FLIGHT, maxPending + LATEST_IN_FLIGHT + LATEST_READ_AHEAD);
  }

  /**
   * How many more frames the stream may ask gRPC for, before counting those already asked for.
   *
   * @param held frames held: waiting, in the pipeline, or answered and not yet written
   * @param withImages those of them still holding their images (waiting or in the pipeline)
   */
  int room(int held, int withImages) {
    if (!latest) {
      return window - held;
    }
    return held >= LATEST_OUTBOX_LIMIT ? 0 : Math.min(window - withImages, LATEST_OUTBOX_LIMIT - held);
  }

  /**
   * The policy the call header asks for.
   *
   * @param header the header's value, or null when the call has none
   * @throws StatusException INVALID_ARGUMENT for a value other than block or latest
   */
  public static StreamSettings fromHeader(String header) throws StatusException {
    if (header == null) {
      return BLOCK;
    }
    return switch (header.trim().toLowerCase(Locale.ROOT)) {
      case "block" -> BLOCK;
      case "latest" -> latest(1);
      default -> throw invalid("header " + POLICY_HEADER + ": '" + header + "' is not a policy; use block or latest");
    };
  }

  /**
   * The settings for a stream whose first message is {@code first}: its stream_options win over the
   * header's policy ({@code fromHeader}) unless they leave the policy unspecified.
   *
   * @throws StatusException INVALID_ARGUMENT for a policy outside the enum or max_pending_frames over
   *     {@value #MAX_PENDING_LIMIT}
   */
  static StreamSettings resolve(ClassifyStreamRequest first, StreamSettings fromHeader) throws StatusException {
    if (!first.hasStreamOptions()) {
      return fromHeader;
    }
    StreamOptions options = first.getStreamOptions();
    int maxPending = options.getMaxPendingFrames();
    if (maxPending < 0 || maxPending > MAX_PENDING_LIMIT) {
      throw invalid("stream_options.max_pending_frames " + Integer.toUnsignedLong(maxPending)
          + " is over the limit of " + MAX_PENDING_LIMIT);
    }
    StreamPolicy policy = options.getPolicy();
    if (policy == StreamPolicy.UNRECOGNIZED) {
      throw invalid("stream_options.policy " + options.getPolicyValue() + " is not a StreamPolicy");
    }
    boolean latest = switch (policy) {
      case STREAM_POLICY_BLOCK -> false;
      case STREAM_POLICY_LATEST -> true;
      default -> fromHeader.latest();
    };
    return latest ? latest(maxPending == 0 ? 1 : maxPending) : BLOCK;
  }

  /**
   * Checks a later message: it may repeat the first message's stream_options or leave them out, but not
   * change them, since the policy is fixed when the stream opens.
   */
  static void checkLater(ClassifyStreamRequest later, ClassifyStreamRequest first, long position) throws StatusException {
    if (later.hasStreamOptions() && !later.getStreamOptions().equals(first.getStreamOptions())) {
      throw invalid("message " + position + ": stream_options differ from the first message's;"
          + " a stream's policy is fixed when it opens");
    }
  }

  private static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
