package io.mobiserve.server.kserve;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.mobiserve.api.inference.InferTensorContents;
import io.mobiserve.api.inference.ModelInferResponse;
import io.mobiserve.api.inference.ModelInferResponse.InferOutputTensor;
import io.mobiserve.pipeline.ImageClassification;
import io.mobiserve.preprocess.Softmax;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the ModelInferResponse for a checked call from the pipeline's results: each requested output as
 * FP32 {@code [N, classes]} or, with the classification parameter, BYTES {@code [N, k]}; in
 * raw_output_contents when the request sent raw inputs. The probabilities are {@link Softmax} of the
 * logits, the same function ClassifyService's probabilities come from.
 */
final class InferResponseWriter {
  private final KServeModel model;

  InferResponseWriter(KServeModel model) {
    this.model = model;
  }

  ModelInferResponse write(InferCall call, List<ImageClassification> results) {
    ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
        .setModelName(model.name())
        .setModelVersion(KServeModel.VERSION)
        .setId(call.id());
    float[][] probabilities = null;
    for (InferCall.RequestedOutput requested : call.outputs()) {
      float[][] values;
      if (requested.name().equals(KServeModel.LOGITS)) {
        values = logits(results);
      } else {
        if (probabilities == null) {
          probabilities = probabilities(results);
        }
        values = probabilities;
      }
      InferOutputTensor.Builder tensor = InferOutputTensor.newBuilder().setName(requested.name())
          .addShape(results.size());
      if (requested.classification() > 0) {
        List<byte[]> strings = new ArrayList<>(results.size() * requested.classification());
        for (float[] image : values) {
          for (byte[] string : TritonClassification.of(image, requested.classification(), model::label)) {
            strings.add(string);
          }
        }
        tensor.setDatatype(Datatype.BYTES).addShape(requested.classification());
        if (call.raw()) {
          response.addRawOutputContents(UnsafeByteOperations.unsafeWrap(RawBytes.join(strings)));
        } else {
          InferTensorContents.Builder contents = InferTensorContents.newBuilder();
          strings.forEach(s -> contents.addBytesContents(UnsafeByteOperations.unsafeWrap(s)));
          tensor.setContents(contents);
        }
      } else {
        tensor.setDatatype(Datatype.FP32).addShape(model.classes());
        if (call.raw()) {
          response.addRawOutputContents(littleEndian(values));
        } else {
          InferTensorContents.Builder contents = InferTensorContents.newBuilder();
          for (float[] image : values) {
            for (float v : image) {
              contents.addFp32Contents(v);
            }
          }
          tensor.setContents(contents);
        }
      }
      response.addOutputs(tensor);
    }
    return response.build();
  }

  private static float[][] logits(List<ImageClassification> results) {
    float[][] values = new float[results.size()][];
    for (int i = 0; i < values.length; i++) {
      values[i] = results.get(i).logits();
    }
    return values;
  }

  private static float[][] probabilities(List<ImageClassification> results) {
    float[][] values = new float[results.size()][];
    for (int i = 0; i < values.length; i++) {
      values[i] = Softmax.probabilities(results.get(i).logits());
    }
    return values;
  }

  private static ByteString littleEndian(float[][] values) {
    int count = 0;
    for (float[] image : values) {
      count += image.length;
    }
    ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] image : values) {
      for (float v : image) {
        bytes.putFloat(v);
      }
    }
    return UnsafeByteOperations.unsafeWrap(bytes.array());
  }
}
