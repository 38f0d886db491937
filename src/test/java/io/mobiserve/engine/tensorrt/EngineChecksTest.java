package io.mobiserve.engine.tensorrt;

import static io.mobiserve.model.TestModels.model;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.tensorrt.IoTensors.IoTensor;
import io.mobiserve.engine.tensorrt.OnnxParseErrors.ParseError;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.model.OnnxModelLoader;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What the engine checks without a GPU: parser error reports and the engine's I/O against the model. */
class EngineChecksTest {
  private static ModelSpec spec;
  private static BatchProfile dynamic;

  @BeforeAll
  static void load() throws Exception {
    spec = OnnxModelLoader.load(model("valid-1000"), ModelOverrides.none());
    dynamic = new BatchProfile(1, 8, 64, false, spec.input());
  }

  @Test
  void parseErrors_listEveryErrorWithCodeNodeAndOperator() {
    String message = OnnxParseErrors.message(Path.of("m.onnx"), List.of(
        new ParseError("kUNSUPPORTED_NODE", "no importer for op Foo", 12, "foo_1", "Foo"),
        new ParseError("kINVALID_GRAPH", "graph has no outputs", -1, "", "")));

    assertThat(message).isEqualTo("TensorRT cannot parse m.onnx: 2 errors: "
        + "[1] kUNSUPPORTED_NODE at node 12 'foo_1' (Foo): no importer for op Foo; "
        + "[2] kINVALID_GRAPH: graph has no outputs");
  }

  @Test
  void parseErrors_none_pointsToTheLog() {
    assertThat(OnnxParseErrors.message(Path.of("m.onnx"), List.of())).contains("see the TensorRT log");
  }

  @Test
  void ioTensors_matchingTheModel_bindByName() throws EngineException {
    IoTensors.Binding binding = IoTensors.validate(List.of(
        new IoTensor("logits", false, new long[] {-1, 1000}, "kFLOAT"),
        new IoTensor(spec.inputName(), true, new long[] {-1, 3, 32, 32}, "kFLOAT")), spec, dynamic);

    assertThat(binding).isEqualTo(new IoTensors.Binding(spec.inputName(), "logits"));
  }

  @Test
  void ioTensors_thatDoNotMatchTheModel_areRefusedWithBothSides() {
    String in = spec.inputName();
    List<List<IoTensor>> wrong = List.of(
        List.of(new IoTensor(in, true, new long[] {-1, 3, 32, 32}, "kFLOAT")),
        List.of(new IoTensor("other", true, new long[] {-1, 3, 32, 32}, "kFLOAT"),
            new IoTensor("o", false, new long[] {-1, 1000}, "kFLOAT")),
        List.of(new IoTensor(in, true, new long[] {-1, 3, 64, 64}, "kFLOAT"),
            new IoTensor("o", false, new long[] {-1, 1000}, "kFLOAT")),
        List.of(new IoTensor(in, true, new long[] {-1, 3, 32, 32}, "kFLOAT"),
            new IoTensor("o", false, new long[] {-1, 10}, "kFLOAT")),
        List.of(new IoTensor(in, true, new long[] {-1, 3, 32, 32}, "kHALF"),
            new IoTensor("o", false, new long[] {-1, 1000}, "kFLOAT")),
        List.of(new IoTensor(in, true, new long[] {4, 3, 32, 32}, "kFLOAT"),
            new IoTensor("o", false, new long[] {4, 1000}, "kFLOAT")));

    for (List<IoTensor> tensors : wrong) {
      assertThatThrownBy(() -> IoTensors.validate(tensors, spec, dynamic))
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("does not match the model")
          .hasMessageContaining(tensors.get(0).name());
    }
  }

  @Test
  void ioTensors_ofAFixedBatchEngine_carryThatBatch() throws EngineException {
    BatchProfile fixed = new BatchProfile(2, 2, 2, true, spec.input());

    assertThat(IoTensors.validate(List.of(new IoTensor(spec.inputName(), true, new long[] {2, 3, 32, 32}, "kFLOAT"),
        new IoTensor("o", false, new long[] {2, 1000}, "kFLOAT")), spec, fixed).outputName()).isEqualTo("o");
  }

  @Test
  void ioTensors_ofADeserializedEngineThatDoesNotMatch_areReportedAsALeakAndRefused() {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(IoTensors.class);
    log.start();
    logger.addAppender(log);
    try {
      assertThatThrownBy(() -> IoTensors.validateOrReportLeak(() -> List.of(
          new IoTensor(spec.inputName(), true, new long[] {-1, 3, 64, 64}, "kFLOAT"),
          new IoTensor("o", false, new long[] {-1, 1000}, "kFLOAT")), spec, dynamic))
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("does not match the model");
    } finally {
      logger.detachAppender(log);
    }

    assertThat(log.list).singleElement().satisfies(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.WARN);
      assertThat(event.getFormattedMessage()).contains("GPU memory stays allocated until the process exits")
          .contains("does not match the model");
    });
  }

  @Test
  void ioTensors_ofADeserializedEngineWhoseQueriesThrow_areReportedAsALeakAndRefused() {
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger logger = (Logger) LoggerFactory.getLogger(IoTensors.class);
    IllegalStateException broken = new IllegalStateException("getTensorShape: null tensor name");
    log.start();
    logger.addAppender(log);
    try {
      assertThatThrownBy(() -> IoTensors.validateOrReportLeak(() -> {
        throw broken;
      }, spec, dynamic))
          .isInstanceOf(EngineException.class)
          .hasMessageContaining("cannot read the I/O tensors of the TensorRT engine for " + spec.name())
          .hasMessageContaining("getTensorShape: null tensor name")
          .hasCause(broken);
    } finally {
      logger.detachAppender(log);
    }

    assertThat(log.list).singleElement().satisfies(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.WARN);
      assertThat(event.getFormattedMessage()).contains("GPU memory stays allocated until the process exits")
          .contains("cannot read the I/O tensors").contains("getTensorShape: null tensor name");
    });
  }

  @Test
  void ioTensors_ofADeserializedEngineThatMatches_bindQuietly() throws EngineException {
    assertThat(IoTensors.validateOrReportLeak(() -> List.of(
        new IoTensor(spec.inputName(), true, new long[] {-1, 3, 32, 32}, "kFLOAT"),
        new IoTensor("logits", false, new long[] {-1, 1000}, "kFLOAT")), spec, dynamic).outputName())
        .isEqualTo("logits");
  }
}
