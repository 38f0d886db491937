package io.mobiserve.engine.tensorrt;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** Every error TensorRT's ONNX parser reported, as one message. */
final class OnnxParseErrors {
  private OnnxParseErrors() {}

  /**
   * One parser error, copied out of TensorRT's {@code IParserError}.
   *
   * @param code the error code's name, e.g. "kUNSUPPORTED_NODE"
   * @param description what went wrong
   * @param node the index of the failing node, or -1 when the error is not about a node
   * @param nodeName the node's name, possibly empty
   * @param nodeOperator the node's operator type, possibly empty
   */
  record ParseError(String code, String description, int node, String nodeName, String nodeOperator) {

    String describe() {
      String where = node < 0 ? "" : " at node " + node
          + (isBlank(nodeName) ? "" : " '" + nodeName + "'")
          + (isBlank(nodeOperator) ? "" : " (" + nodeOperator + ")");
      return code + where + ": " + description;
    }

    private static boolean isBlank(String s) {
      return s == null || s.isBlank();
    }
  }

  /** {@code "TensorRT cannot parse model.onnx: 2 errors: [1] ...; [2] ..."}. */
  static String message(Path onnxFile, List<ParseError> errors) {
    if (errors.isEmpty()) {
      return "TensorRT cannot parse " + onnxFile + " (the parser reported no error; see the TensorRT log)";
    }
    StringBuilder message = new StringBuilder("TensorRT cannot parse ").append(onnxFile).append(": ")
        .append(errors.size()).append(errors.size() == 1 ? " error: " : " errors: ");
    message.append(IntStream.range(0, errors.size())
        .mapToObj(i -> "[" + (i + 1) + "] " + errors.get(i).describe())
        .collect(Collectors.joining("; ")));
    return message.toString();
  }
}
