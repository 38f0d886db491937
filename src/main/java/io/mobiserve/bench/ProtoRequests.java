package io.mobiserve.bench;

import com.google.protobuf.ByteString;
import io.mobiserve.api.v1.ChannelOrder;
import io.mobiserve.api.v1.Classification;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyStreamRequest;
import io.mobiserve.api.v1.ClassifyStreamResponse;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.ModelInfo;
import io.mobiserve.api.v1.RawImage;
import io.mobiserve.api.v1.Tensor;
import io.mobiserve.api.v1.Timings;
import io.mobiserve.client.ModelInfoReader;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the ClassifyRequests of a run and checks their answers. Each image's id is {@code
 * sequence/index}, so that an answer can be matched to its request and its images' order checked.
 */
final class ProtoRequests {
  private final List<Image> images;
  private final int batch;
  private final int topK;

  ProtoRequests(List<BenchImage> inputs, int batch, int topK) {
    this.images = inputs.stream().map(ProtoRequests::image).toList();
    this.batch = batch;
    this.topK = topK;
  }

  ClassifyRequest request(long sequence) {
    return ClassifyRequest.newBuilder().setTopK(topK).addAllImages(images(sequence)).build();
  }

  /** Frame {@code sequence} of a stream: the same images as request {@code sequence}, tagged with it. */
  ClassifyStreamRequest frame(long sequence) {
    return ClassifyStreamRequest.newBuilder().setTopK(topK).addAllImages(images(sequence)).setFrameId(sequence)
        .build();
  }

  private List<Image> images(long sequence) {
    List<Image> request = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      Image image = images.get((int) Math.floorMod(sequence * batch + i, (long) images.size()));
      request.add(image.toBuilder().setId(sequence + "/" + i).build());
    }
    return request;
  }

  /** The outcome of request {@code sequence} answered with {@code response} at {@code completedNanos}. */
  Outcome check(long sequence, ClassifyResponse response, long completedNanos) {
    return check(sequence, response.getResultsList(), completedNanos);
  }

  /** The outcome of frame {@code sequence}, classified with {@code response} at {@code completedNanos}. */
  Outcome check(long sequence, ClassifyStreamResponse response, long completedNanos) {
    return check(sequence, response.getResultsList(), completedNanos);
  }

  private Outcome check(long sequence, List<Classification> results, long completedNanos) {
    if (results.size() != batch) {
      return Outcome.failure("BAD_RESPONSE",
          "request " + sequence + ": " + results.size() + " results for " + batch + " images");
    }
    long[] preprocess = new long[batch];
    long[] queue = new long[batch];
    long[] inference = new long[batch];
    for (int i = 0; i < batch; i++) {
      Classification result = results.get(i);
      String expected = sequence + "/" + i;
      if (!expected.equals(result.getId())) {
        return Outcome.failure("BAD_RESPONSE",
            "request " + sequence + ": result " + i + " has id '" + result.getId() + "', expected '" + expected + "'");
      }
      if (result.getClassesCount() == 0) {
        return Outcome.failure("BAD_RESPONSE", "request " + sequence + ": result " + i + " has no classes");
      }
      Timings timings = result.getTimings();
      preprocess[i] = timings.getPreprocessUs() * 1000;
      queue[i] = timings.getQueueUs() * 1000;
      inference[i] = timings.getInferenceUs() * 1000;
    }
    return Outcome.success(completedNanos, preprocess, queue, inference);
  }

  private static Image image(BenchImage input) {
    Image.Builder image = Image.newBuilder();
    if (input instanceof BenchImage.Encoded encoded) {
      image.setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(encoded.data())));
    } else if (input instanceof BenchImage.Raw raw) {
      image.setRaw(RawImage.newBuilder()
          .setPixels(ByteString.copyFrom(raw.rgb()))
          .setWidth(raw.width())
          .setHeight(raw.height())
          .setChannelOrder(ChannelOrder.CHANNEL_ORDER_RGB));
    } else if (input instanceof BenchImage.Tensor tensor) {
      image.setTensor(Tensor.newBuilder().setFloat32Data(ByteString.copyFrom(tensor.float32LittleEndian())));
    }
    return image.build();
  }

  /** The facts a bench needs, from the server's own description of its model. */
  static ModelUnderTest facts(ModelInfo info) {
    InputShape shape = ModelInfoReader.inputShape(info);
    Preprocessing preprocessing = ModelInfoReader.preprocessing(info);
    return new ModelUnderTest(info.getName(), info.getArchitecture(), info.getBackend(), shape, preprocessing,
        info.getNumClasses(), info.getMaxBatch(), info.getLimits().getMaxImagesPerRequest());
  }
}
