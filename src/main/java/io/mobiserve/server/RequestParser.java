package io.mobiserve.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.preprocess.ImageInput;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks a request's images and top-k against the limits (cheap checks, before any decoding) and turns
 * the images into {@link ImageInput}s without copying their bytes. Used by every service that takes
 * images. Thread-safe.
 */
public final class RequestParser {
  static final int DEFAULT_TOP_K = 5;

  private final ServerLimits limits;
  private final int classes;

  RequestParser(ServerLimits limits, int classes) {
    this.limits = limits;
    this.classes = classes;
  }

  /** A request that passed the checks. */
  public record Parsed(List<ImageInput> images, List<String> ids, int topK) {}

  /** Checks a Classify request. */
  public Parsed parse(ClassifyRequest request) throws StatusException {
    return parse(request.getImagesList(), request.getTopK());
  }

  /**
   * Checks a request's images and its top-k (0 for the default).
   *
   * @throws StatusException INVALID_ARGUMENT naming the image and the problem
   */
  public Parsed parse(List<Image> requestImages, int requestedTopK) throws StatusException {
    int count = requestImages.size();
    if (count == 0) {
      throw invalid("the request has no images");
    }
    if (count > limits.maxImagesPerRequest()) {
      // A static limit: the same request will never pass, so this is the client's error, not a transient one.
      throw invalid("the request has " + count + " images, over the limit of " + limits.maxImagesPerRequest()
          + " per request; split it");
    }
    int topK = topK(requestedTopK);
    List<ImageInput> images = new ArrayList<>(count);
    List<String> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Image image = requestImages.get(i);
      if (image.getIdBytes().size() > ServerLimits.MAX_ID_BYTES) {
        throw invalid("image " + i + ": id is " + image.getIdBytes().size() + " bytes, over the limit of "
            + ServerLimits.MAX_ID_BYTES);
      }
      ids.add(image.getId());
      images.add(toInput(i, image));
    }
    return new Parsed(images, ids, topK);
  }

  private int topK(int requested) throws StatusException {
    if (requested < 0) {
      throw invalid("top_k " + Integer.toUnsignedLong(requested) + " is more than the model's " + classes + " classes");
    }
    if (requested == 0) {
      return Math.min(DEFAULT_TOP_K, classes);
    }
    if (requested > classes) {
      throw invalid("top_k " + requested + " is more than the model's " + classes + " classes");
    }
    return requested;
  }

  private ImageInput toInput(int index, Image image) throws StatusException {
    switch (image.getDataCase()) {
      case ENCODED: {
        ByteString data = image.getEncoded().getData();
        if (data.isEmpty()) {
          throw invalid("image " + index + ": encoded data is empty");
        }
        if (data.size() > limits.image().maxEncodedBytes()) {
          throw invalid("image " + index + ": encoded image is " + data.size() + " bytes, over the limit of "
              + limits.image().maxEncodedBytes());
        }
        return new ImageInput.Encoded(data.asReadOnlyByteBuffer());
      }
      case RAW:
        return raw(index, image.getRaw());
      case TENSOR:
        return new ImageInput.Tensor(image.getTensor().getFloat32Data().asReadOnlyByteBuffer());
      case DATA_NOT_SET:
      default:
        throw invalid("image " + index + ": no data (set one of encoded, raw or tensor)");
    }
  }

  private ImageInput raw(int index, RawImage raw) throws StatusException {
    // uint32 on the wire: read unsigned, so that no size is ever negative.
    long width = Integer.toUnsignedLong(raw.getWidth());
    long height = Integer.toUnsignedLong(raw.getHeight());
    if (width == 0 || height == 0) {
      throw invalid("image " + index + ": raw image is " + width + "x" + height + "; width and height must be at least 1");
    }
    long maxPixels = limits.image().maxPixels();
    // Sides of up to 2^32 - 1 can multiply past 2^63: a side over the limit is refused before multiplying.
    if (width > maxPixels || height > maxPixels || width * height > maxPixels) {
      throw invalid("image " + index + ": raw image is " + width + "x" + height + " = "
          + BigInteger.valueOf(width).multiply(BigInteger.valueOf(height)) + " pixels, over the limit of " + maxPixels);
    }
    long pixels = width * height;
    long expected = pixels * 3; // at most 3 x ImageLimits.LARGEST_MAX_PIXELS
    if (raw.getPixels().size() != expected) {
      throw invalid("image " + index + ": raw image of " + width + "x" + height + "x3 needs " + expected
          + " bytes of pixels, got " + raw.getPixels().size());
    }
    ChannelOrder order;
    switch (raw.getChannelOrder()) {
      case CHANNEL_ORDER_UNSPECIFIED:
      case CHANNEL_ORDER_RGB:
        order = ChannelOrder.RGB;
        break;
      case CHANNEL_ORDER_BGR:
        order = ChannelOrder.BGR;
        break;
      default:
        throw invalid("image " + index + ": unknown channel order " + raw.getChannelOrderValue());
    }
    return new ImageInput.Raw(raw.getPixels().asReadOnlyByteBuffer(), (int) width, (int) height, order);
  }

  private static StatusException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asException();
  }
}
