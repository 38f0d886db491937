package io.mobiserve.model.mobilenet;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.mobiserve.model.onnx.AttributeProto;
import io.mobiserve.model.onnx.GraphProto;
import io.mobiserve.model.onnx.NodeProto;
import io.mobiserve.model.onnx.TensorProto;
import io.mobiserve.model.onnx.TensorShapeProto;
import io.mobiserve.model.onnx.TypeProto;
import io.mobiserve.model.onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Appends nodes and float32 initializers to an ONNX graph. Each node has one output, named like the
 * node, so the graph reads as a chain of names. Not thread-safe.
 */
final class OnnxGraph {
  private final GraphProto.Builder graph = GraphProto.newBuilder();

  OnnxGraph(String name) {
    graph.setName(name);
  }

  /** Adds a float32 constant, stored as little-endian {@code raw_data}; returns its name. */
  String initializer(String name, float[] values, long... dims) {
    long elements = Arrays.stream(dims).reduce(1, Math::multiplyExact);
    if (elements != values.length) {
      throw new IllegalStateException(name + ": " + values.length + " values for shape " + Arrays.toString(dims));
    }
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    // The array is not touched again, so wrapping it saves a 22 MB copy for Large.
    ByteString raw = UnsafeByteOperations.unsafeWrap(bytes.array());
    graph.addInitializer(TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(Arrays.stream(dims).boxed().toList())
        .setRawData(raw));
    return name;
  }

  /** Adds a node of the default (ai.onnx) domain whose single output is named {@code name}; returns it. */
  String node(String opType, String name, List<String> inputs, AttributeProto... attributes) {
    graph.addNode(NodeProto.newBuilder()
        .setOpType(opType)
        .setName(name)
        .addAllInput(inputs)
        .addOutput(name)
        .addAllAttribute(Arrays.asList(attributes)));
    return name;
  }

  /** Like {@link #node} but with the output named {@code output} rather than after the node. */
  void nodeWithOutput(String opType, String name, String output, List<String> inputs, AttributeProto... attributes) {
    graph.addNode(NodeProto.newBuilder()
        .setOpType(opType)
        .setName(name)
        .addAllInput(inputs)
        .addOutput(output)
        .addAllAttribute(Arrays.asList(attributes)));
  }

  /** Declares a float32 graph input; dimensions are either {@code Long} sizes or {@code String} symbols. */
  void input(String name, Object... dims) {
    graph.addInput(floatValue(name, dims));
  }

  /** Declares a float32 graph output; dimensions as for {@link #input}. */
  void output(String name, Object... dims) {
    graph.addOutput(floatValue(name, dims));
  }

  GraphProto build() {
    return graph.build();
  }

  static AttributeProto ints(String name, long... values) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INTS)
        .addAllInts(Arrays.stream(values).boxed().toList())
        .build();
  }

  static AttributeProto integer(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static AttributeProto real(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
  }

  private static ValueInfoProto floatValue(String name, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object dim : dims) {
      if (dim instanceof String symbol) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(symbol));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(((Number) dim).longValue()));
      }
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE)
            .setShape(shape)))
        .build();
  }
}
