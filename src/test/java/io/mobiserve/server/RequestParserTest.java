package io.mobiserve.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.preprocess.ImageLimits;
import org.junit.jupiter.api.Test;

class RequestParserTest {
  private final ServerLimits limits = new ServerLimits(4, new ImageLimits(1000, 10_000), 1 << 20);
  private final RequestParser parser = new RequestParser(limits, 10);

  private static Image encoded(int bytes) {
    return Image.newBuilder().setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(new byte[bytes]))).build();
  }

  private static Image raw(int width, int height, int bytes) {
    return Image.newBuilder()
        .setRaw(RawImage.newBuilder().setWidth(width).setHeight(height).setPixels(ByteString.copyFrom(new byte[bytes])))
        .build();
  }

  private Status refusal(ClassifyRequest request) {
    return catchThrowableOfType(() -> parser.parse(request), StatusException.class).getStatus();
  }

  private static ClassifyRequest request(Image... images) {
    return ClassifyRequest.newBuilder().addAllImages(java.util.List.of(images)).build();
  }

  @Test
  void parse_keepsOrderIdsAndFormsOfImages() throws StatusException {
    ClassifyRequest request = ClassifyRequest.newBuilder()
        .addImages(encoded(10).toBuilder().setId("a"))
        .addImages(raw(2, 3, 18).toBuilder().setId("b"))
        .addImages(Image.newBuilder().setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(new byte[8]))))
        .setTopK(3)
        .build();

    RequestParser.Parsed parsed = parser.parse(request);

    assertThat(parsed.ids()).containsExactly("a", "b", "");
    assertThat(parsed.images().get(0)).isInstanceOf(ImageInput.Encoded.class);
    assertThat(parsed.images().get(1)).isEqualTo(new ImageInput.Raw(
        ByteString.copyFrom(new byte[18]).asReadOnlyByteBuffer(), 2, 3, io.mobiserve.model.ChannelOrder.RGB));
    assertThat(parsed.images().get(2)).isInstanceOf(ImageInput.Tensor.class);
    assertThat(parsed.topK()).isEqualTo(3);
  }

  @Test
  void parse_defaultsTopKToFiveAndNeverAboveTheClassCount() throws StatusException {
    assertThat(parser.parse(request(encoded(1))).topK()).isEqualTo(5);
    assertThat(new RequestParser(limits, 3).parse(request(encoded(1))).topK()).isEqualTo(3);
  }

  @Test
  void parse_refusesAnEmptyRequest() {
    Status status = refusal(ClassifyRequest.getDefaultInstance());
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("the request has no images");
  }

  @Test
  void parse_refusesTooManyImagesAsAnInvalidRequest_sinceRetryingCannotHelp() {
    Status status = refusal(request(encoded(1), encoded(1), encoded(1), encoded(1), encoded(1)));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("5 images, over the limit of 4");
  }

  @Test
  void parse_refusesTopKAboveTheClassCount() {
    Status status = refusal(request(encoded(1)).toBuilder().setTopK(11).build());
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("top_k 11 is more than the model's 10 classes");
  }

  @Test
  void parse_refusesAnImageWithoutData() {
    Status status = refusal(request(encoded(1), Image.newBuilder().setId("x").build()));
    assertThat(status.getDescription()).isEqualTo("image 1: no data (set one of encoded, raw or tensor)");
  }

  @Test
  void parse_refusesAnOversizedEncodedImageBeforeDecoding() {
    Status status = refusal(request(encoded(1), encoded(1), encoded(1001)));
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).isEqualTo("image 2: encoded image is 1001 bytes, over the limit of 1000");
  }

  @Test
  void parse_refusesEmptyEncodedData() {
    assertThat(refusal(request(encoded(0))).getDescription()).isEqualTo("image 0: encoded data is empty");
  }

  @Test
  void parse_refusesRawImagesOfTheWrongSizeOrShape() {
    assertThat(refusal(request(raw(2, 3, 17))).getDescription())
        .isEqualTo("image 0: raw image of 2x3x3 needs 18 bytes of pixels, got 17");
    assertThat(refusal(request(raw(0, 3, 0))).getDescription()).contains("width and height must be at least 1");
    assertThat(refusal(request(raw(200, 200, 0))).getDescription())
        .isEqualTo("image 0: raw image is 200x200 = 40000 pixels, over the limit of 10000");
  }

  @Test
  void parse_refusesAnUnknownChannelOrder() {
    Image image = raw(1, 1, 3).toBuilder()
        .setRaw(raw(1, 1, 3).getRaw().toBuilder().setChannelOrderValue(7))
        .build();
    assertThat(refusal(request(image)).getDescription()).isEqualTo("image 0: unknown channel order 7");
  }

  @Test
  void parse_acceptsBgr() throws StatusException {
    Image image = raw(1, 1, 3).toBuilder()
        .setRaw(raw(1, 1, 3).getRaw().toBuilder().setChannelOrder(ChannelOrder.CHANNEL_ORDER_BGR))
        .build();
    assertThat(((ImageInput.Raw) parser.parse(request(image)).images().get(0)).order())
        .isEqualTo(io.mobiserve.model.ChannelOrder.BGR);
  }

  @Test
  void parse_refusesAnOverlongId() {
    Image image = encoded(1).toBuilder().setId("x".repeat(257)).build();
    assertThat(refusal(request(image)).getDescription()).isEqualTo("image 0: id is 257 bytes, over the limit of 256");
  }
}
