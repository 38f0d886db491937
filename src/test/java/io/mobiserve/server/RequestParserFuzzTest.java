package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import io.mobiserve.testing.Refusals;
import java.nio.ByteBuffer;

/**
 * Fuzzes {@link RequestParser#parse}, the checks every request passes before any decoding, on requests
 * as they come off the wire and on requests built field by field. For each request it either accepts
 * it with images that are within the limits and consistent with themselves (a raw image's pixel count
 * matches its positive width and height), or refuses it with INVALID_ARGUMENT and a message a client can
 * read, with no negative size in it. Any other status or exception is a finding.
 *
 * <p>Bytes that are not a ClassifyRequest are left to gRPC's unmarshalling, which runs before the parser.
 * The limits are small (8 images, 4 KiB, 64K pixels) so that the fuzzer crosses them often.
 *
 * <p>Seeds: {@code RequestParserFuzzTestInputs/} (scripts/make_fuzz_seeds.py). Fuzzing: scripts/fuzz.sh.
 */
class RequestParserFuzzTest {
  static final int CLASSES = 10;
  static final ServerLimits LIMITS = new ServerLimits(8, new ImageLimits(4096, 1 << 16), 1 << 20);
  private static final RequestParser PARSER = new RequestParser(LIMITS, CLASSES);
  /** uint32 values where size arithmetic goes wrong: around 2^16, 2^31 and 2^32, and factors of 2^64/3. */
  private static final int[] EDGES = {
    0, 1, 2, 3, 255, 256, 0xFFFF, 0x10000, 0x10001, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xAAAA_AAAB,
    0xFFFF_FFFE, 0xFFFF_FFFF, (int) 4294920970L, (int) 2863342415L
  };

  @FuzzTest(maxDuration = "30s")
  void anyWireBytes(byte[] bytes) {
    ClassifyRequest request;
    try {
      request = ClassifyRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    requireAcceptedOrRefused(request);
  }

  @FuzzTest(maxDuration = "30s")
  void anyStructuredRequest(FuzzedDataProvider data) {
    requireAcceptedOrRefused(request(data));
  }

  /** Parses {@code request}; a refusal must be INVALID_ARGUMENT, an acceptance within the limits. */
  static void requireAcceptedOrRefused(ClassifyRequest request) {
    RequestParser.Parsed parsed;
    try {
      parsed = PARSER.parse(request);
    } catch (StatusException e) {
      Status status = e.getStatus();
      assertThat(status.getCode()).as("refusal: %s", status).isEqualTo(Status.Code.INVALID_ARGUMENT);
      Refusals.requireReadable(status.getDescription());
      return;
    }
    assertThat(parsed.images()).hasSize(request.getImagesCount());
    assertThat(parsed.images().size()).isBetween(1, LIMITS.maxImagesPerRequest());
    assertThat(parsed.topK()).isBetween(1, CLASSES);
    for (int i = 0; i < request.getImagesCount(); i++) {
      Image sent = request.getImages(i);
      assertThat(parsed.ids().get(i)).isEqualTo(sent.getId());
      assertThat(sent.getIdBytes().size()).isLessThanOrEqualTo(ServerLimits.MAX_ID_BYTES);
      requireConsistent(sent, parsed.images().get(i));
    }
  }

  private static void requireConsistent(Image sent, ImageInput parsed) {
    if (parsed instanceof ImageInput.Encoded encoded) {
      assertThat(encoded.data().remaining()).isBetween(1, (int) LIMITS.image().maxEncodedBytes());
      assertThat(ByteString.copyFrom(encoded.data().duplicate())).isEqualTo(sent.getEncoded().getData());
    } else if (parsed instanceof ImageInput.Raw raw) {
      assertThat(raw.width()).as("width").isPositive();
      assertThat(raw.height()).as("height").isPositive();
      assertThat(Integer.toUnsignedLong(sent.getRaw().getWidth())).isEqualTo(raw.width());
      assertThat(Integer.toUnsignedLong(sent.getRaw().getHeight())).isEqualTo(raw.height());
      assertThat((long) raw.width() * raw.height()).isLessThanOrEqualTo(LIMITS.image().maxPixels());
      assertThat((long) raw.pixels().remaining()).isEqualTo(3L * raw.width() * raw.height());
    } else if (parsed instanceof ImageInput.Tensor tensor) {
      ByteBuffer bytes = tensor.float32LittleEndian().duplicate();
      assertThat(ByteString.copyFrom(bytes)).isEqualTo(sent.getTensor().getFloat32Data());
    }
  }

  /** A request of 0..10 images of every form, with ids, sizes and top_k anywhere in their ranges. */
  static ClassifyRequest request(FuzzedDataProvider data) {
    ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(uint32(data));
    int count = data.consumeInt(0, LIMITS.maxImagesPerRequest() + 2);
    for (int i = 0; i < count; i++) {
      request.addImages(image(data));
    }
    return request.build();
  }

  private static Image image(FuzzedDataProvider data) {
    Image.Builder image = Image.newBuilder();
    if (data.consumeBoolean()) {
      image.setId(data.consumeString(300));
    }
    switch (data.consumeInt(0, 3)) {
      case 0:
        image.setEncoded(EncodedImage.newBuilder().setData(bytes(data, 5000)));
        break;
      case 1:
        image.setRaw(raw(data));
        break;
      case 2:
        image.setTensor(Tensor.newBuilder().setFloat32Data(bytes(data, 64)));
        break;
      default: // no data
    }
    return image.build();
  }

  private static RawImage raw(FuzzedDataProvider data) {
    int width = uint32(data);
    int height = uint32(data);
    long pixels = Integer.toUnsignedLong(width) * Integer.toUnsignedLong(height) * 3; // may wrap, as a bug would
    RawImage.Builder raw = RawImage.newBuilder().setWidth(width).setHeight(height)
        .setChannelOrderValue(data.consumeInt(-1, 3));
    // exactly as many bytes as width x height x 3 says, when that is at most a few MB (even if it wrapped)
    if (data.consumeBoolean() && pixels >= 0 && pixels <= 3 << 20) {
      raw.setPixels(ByteString.copyFrom(new byte[(int) pixels]));
    } else {
      raw.setPixels(bytes(data, 64));
    }
    return raw.build();
  }

  /** A proto uint32 as Java holds it: values from 2^31 on are negative ints. */
  private static int uint32(FuzzedDataProvider data) {
    switch (data.consumeInt(0, 2)) {
      case 0:
        return data.consumeInt(0, 300);
      case 1:
        return data.pickValue(EDGES);
      default:
        return data.consumeInt();
    }
  }

  private static ByteString bytes(FuzzedDataProvider data, int maxLength) {
    return ByteString.copyFrom(data.consumeBytes(data.consumeInt(0, maxLength)));
  }
}
