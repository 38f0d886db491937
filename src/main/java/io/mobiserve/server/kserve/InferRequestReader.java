package io.mobiserve.server.kserve;

import static io.mobiserve.server.kserve.Parameters.invalid;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusException;
import io.mobiserve.api.inference.InferTensorContents;
import io.mobiserve.api.inference.ModelInferRequest;
import io.mobiserve.api.inference.ModelInferRequest.InferInputTensor;
import io.mobiserve.api.inference.ModelInferRequest.InferRequestedOutputTensor;
import io.mobiserve.model.InputShape;
import io.mobiserve.preprocess.ImageInput;
import io.mobiserve.server.ServerLimits;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Checks a ModelInferRequest against the model and the limits — cheap checks, before any decoding — and
 * turns its input into the pipeline's images without copying raw bytes. Every refusal names the tensor
 * and the problem. Thread-safe (stateless beyond the model it reads).
 */
final class InferRequestReader {
  private final KServeModel model;

  InferRequestReader(KServeModel model) {
    this.model = model;
  }

  /**
   * @throws StatusException NOT_FOUND for another model or version; INVALID_ARGUMENT for anything else wrong
   *     (more images than a request may carry included: retrying cannot help), naming the tensor
   */
  InferCall read(ModelInferRequest request) throws StatusException {
    model.check(request.getModelName(), request.getModelVersion());
    if (request.getIdBytes().size() > ServerLimits.MAX_ID_BYTES) {
      throw invalid("the request id is " + request.getIdBytes().size() + " bytes, over the limit of "
          + ServerLimits.MAX_ID_BYTES);
    }
    OptionalLong timeout = Parameters.int64(request.getParametersMap(), Parameters.TIMEOUT, "the request");
    if (timeout.isPresent() && timeout.getAsLong() < 0) {
      throw invalid("the request: parameter 'timeout' must be 0 or more microseconds, not " + timeout.getAsLong());
    }
    InferInputTensor input = onlyInput(request);
    boolean raw = request.getRawInputContentsCount() > 0;
    if (raw && request.getRawInputContentsCount() != request.getInputsCount()) {
      throw invalid("raw_input_contents has " + request.getRawInputContentsCount() + " entries for "
          + request.getInputsCount() + " input; give one per input, or none");
    }
    Parameters.refuseSharedMemory(input.getParametersMap(), "input '" + input.getName() + "'");
    if (raw && input.hasContents() && !isEmpty(input.getContents())) {
      throw invalid("input '" + input.getName() + "': both contents and raw_input_contents carry data; send one");
    }
    ByteString rawData = raw ? request.getRawInputContents(0) : null;
    List<ImageInput> images = switch (input.getDatatype()) {
      case Datatype.FP32 -> tensors(input, rawData);
      case Datatype.BYTES -> encoded(input, rawData);
      default -> throw invalid("input '" + input.getName() + "': datatype " + shown(input.getDatatype())
          + " is not accepted; send FP32 " + shape(model.inputShape()) + " tensors or BYTES [-1] encoded images");
    };
    return new InferCall(request.getId(), input.getName(), images, outputs(request), raw, timeout);
  }

  private InferInputTensor onlyInput(ModelInferRequest request) throws StatusException {
    if (request.getInputsCount() == 0) {
      throw invalid("the request has no inputs; send '" + model.inputName() + "' as FP32 "
          + shape(model.inputShape()) + " or BYTES [-1] encoded images");
    }
    Set<String> seen = new HashSet<>();
    for (InferInputTensor input : request.getInputsList()) {
      if (!input.getName().equals(model.inputName())) {
        throw invalid("unknown input '" + input.getName() + "'; the model's only input is '" + model.inputName() + "'");
      }
      if (!seen.add(input.getName())) {
        throw invalid("input '" + input.getName() + "' is given more than once");
      }
    }
    return request.getInputs(0);
  }

  /** FP32 [N, 3, H, W]: one tensor image per batch element, each a view of its slice of the bytes. */
  private List<ImageInput> tensors(InferInputTensor input, ByteString rawData) throws StatusException {
    InputShape shape = model.input();
    List<Long> dims = input.getShapeList();
    if (dims.size() != 4 || dims.get(1) != shape.channels() || dims.get(2) != shape.height()
        || dims.get(3) != shape.width() || dims.get(0) < 1) {
      throw invalid("input '" + input.getName() + "': shape " + shape(dims) + " does not match the model's "
          + shape(model.inputShape()) + " (FP32, batch of at least 1)");
    }
    int batch = batchSize(input, dims.get(0));
    int perImage = shape.elementCount() * Float.BYTES;
    ByteBuffer bytes;
    if (rawData != null) {
      long expected = (long) batch * perImage;
      if (rawData.size() != expected) {
        throw invalid("input '" + input.getName() + "': raw_input_contents holds " + rawData.size()
            + " bytes; FP32 " + shape(dims) + " needs " + expected);
      }
      bytes = rawData.asReadOnlyByteBuffer();
    } else {
      onlyField(input, "fp32_contents", input.getContents().getFp32ContentsCount());
      int count = input.getContents().getFp32ContentsCount();
      long expected = (long) batch * shape.elementCount();
      if (count != expected) {
        throw invalid("input '" + input.getName() + "': fp32_contents holds " + count + " values; FP32 "
            + shape(dims) + " needs " + expected);
      }
      bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < count; i++) {
        bytes.putFloat(input.getContents().getFp32Contents(i));
      }
      bytes.flip();
    }
    List<ImageInput> images = new ArrayList<>(batch);
    int base = bytes.position(); // a view of part of an array may not start at 0
    for (int i = 0; i < batch; i++) {
      ByteBuffer slice = bytes.duplicate();
      slice.position(base + i * perImage).limit(base + (i + 1) * perImage);
      images.add(new ImageInput.Tensor(slice.slice().order(ByteOrder.LITTLE_ENDIAN)));
    }
    return images;
  }

  /** BYTES [N] (or [N, 1]): one encoded JPEG or PNG per batch element. */
  private List<ImageInput> encoded(InferInputTensor input, ByteString rawData) throws StatusException {
    List<Long> dims = input.getShapeList();
    boolean vector = dims.size() == 1 || (dims.size() == 2 && dims.get(1) == 1);
    if (!vector || dims.get(0) < 1) {
      throw invalid("input '" + input.getName() + "': BYTES shape " + shape(dims)
          + " is not accepted; send [N] (or [N, 1]) encoded images, N at least 1");
    }
    int batch = batchSize(input, dims.get(0));
    List<ByteBuffer> elements = rawData != null
        ? RawBytes.split(rawData.asReadOnlyByteBuffer(), batch, "input '" + input.getName() + "': raw_input_contents")
        : typedBytes(input, batch);
    long maxBytes = model.serving().limits().image().maxEncodedBytes();
    List<ImageInput> images = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      ByteBuffer element = elements.get(i);
      if (!element.hasRemaining()) {
        throw invalid("input '" + input.getName() + "': element " + i + " is empty; send a JPEG or PNG file");
      }
      if (element.remaining() > maxBytes) {
        throw invalid("input '" + input.getName() + "': element " + i + " is " + element.remaining()
            + " bytes, over the limit of " + maxBytes);
      }
      images.add(new ImageInput.Encoded(element));
    }
    return images;
  }

  private List<ByteBuffer> typedBytes(InferInputTensor input, int batch) throws StatusException {
    InferTensorContents contents = input.getContents();
    onlyField(input, "bytes_contents", contents.getBytesContentsCount());
    if (contents.getBytesContentsCount() != batch) {
      throw invalid("input '" + input.getName() + "': bytes_contents holds " + contents.getBytesContentsCount()
          + " elements; BYTES " + shape(input.getShapeList()) + " needs " + batch);
    }
    List<ByteBuffer> elements = new ArrayList<>(batch);
    for (ByteString element : contents.getBytesContentsList()) {
      elements.add(element.asReadOnlyByteBuffer());
    }
    return elements;
  }

  private int batchSize(InferInputTensor input, long batch) throws StatusException {
    int limit = model.maxBatchSize();
    if (batch > limit) {
      throw Status.INVALID_ARGUMENT.withDescription("input '" + input.getName() + "': a batch of " + batch
          + " images is over the limit of " + limit + " per request; split it").asException();
    }
    return (int) batch;
  }

  /** Refuses data in a contents field other than the datatype's own. */
  private static void onlyField(InferInputTensor input, String expected, int expectedCount) throws StatusException {
    InferTensorContents c = input.getContents();
    int total = c.getBoolContentsCount() + c.getIntContentsCount() + c.getInt64ContentsCount()
        + c.getUintContentsCount() + c.getUint64ContentsCount() + c.getFp32ContentsCount()
        + c.getFp64ContentsCount() + c.getBytesContentsCount();
    if (total != expectedCount) {
      throw invalid("input '" + input.getName() + "': " + input.getDatatype() + " data goes in contents."
          + expected + " (or raw_input_contents); another contents field is set");
    }
  }

  private static boolean isEmpty(InferTensorContents c) {
    return c.getSerializedSize() == 0;
  }

  private List<InferCall.RequestedOutput> outputs(ModelInferRequest request) throws StatusException {
    List<InferCall.RequestedOutput> outputs = new ArrayList<>();
    if (request.getOutputsCount() == 0) {
      for (String name : model.outputs()) {
        outputs.add(new InferCall.RequestedOutput(name, 0));
      }
      return outputs;
    }
    Set<String> seen = new HashSet<>();
    for (InferRequestedOutputTensor output : request.getOutputsList()) {
      String where = "output '" + output.getName() + "'";
      // An output the server does not present (serve --kserve-outputs) is as unknown as any other name.
      if (!model.outputs().contains(output.getName())) {
        throw invalid("unknown output '" + output.getName() + "'; " + model.outputsDescription());
      }
      if (!seen.add(output.getName())) {
        throw invalid(where + " is requested more than once");
      }
      Parameters.refuseSharedMemory(output.getParametersMap(), where);
      OptionalLong k = Parameters.int64(output.getParametersMap(), Parameters.CLASSIFICATION, where);
      if (k.isPresent() && (k.getAsLong() < 1 || k.getAsLong() > model.classes())) {
        throw invalid(where + ": parameter 'classification' must be from 1 to the model's " + model.classes()
            + " classes, not " + k.getAsLong());
      }
      outputs.add(new InferCall.RequestedOutput(output.getName(), (int) k.orElse(0)));
    }
    return outputs;
  }

  static String shape(List<Long> dims) {
    return dims.toString().replace(" ", "");
  }

  private static String shown(String datatype) {
    return datatype.isEmpty() ? "(none)" : "'" + datatype + "'";
  }
}
