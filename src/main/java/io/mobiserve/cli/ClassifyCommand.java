package io.mobiserve.cli;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.v1.ClassScore;
import io.mobiserve.api.v1.Classification;
import io.mobiserve.api.v1.ClassifyRequest;
import io.mobiserve.api.v1.ClassifyResponse;
import io.mobiserve.api.v1.ClassifyServiceGrpc;
import io.mobiserve.api.v1.EncodedImage;
import io.mobiserve.api.v1.GetModelInfoRequest;
import io.mobiserve.api.v1.Image;
import io.mobiserve.api.v1.ModelInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code mobiserve classify}: send images to a server and print each one's top classes. */
@Command(
    name = "classify",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = "Classify image files (JPEG or PNG) with a running mobiserve server.")
final class ClassifyCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--target", defaultValue = "localhost:8500", description = "Server address: HOST:PORT, dns:///NAME:PORT or"
      + " ipv4:IP:PORT,IP:PORT (these two round-robin over every address) (default: ${DEFAULT-VALUE}).")
  String target;

  @Mixin
  ConnectionOptions connection;

  @Option(names = "--top-k", defaultValue = "5", description = "Classes to print per image (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--timeout", defaultValue = "30", description = "Seconds to wait for the answer (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @ArgGroup(exclusive = true)
  Encoding encoding = new Encoding();

  static final class Encoding {
    @Option(names = "--raw", description = "Decode here and send raw RGB pixels.")
    boolean raw;

    @Option(names = "--tensor", description = "Decode and preprocess here (as the server would) and send float32 tensors.")
    boolean tensor;
  }

  @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
  List<Path> images;

  @Override
  public Integer call() {
    if (topK < 1) {
      throw new ConfigurationException("--top-k must be at least 1, not " + topK);
    }
    ManagedChannel channel = connection.channel(target)
        .maxInboundMessageSize(64 << 20)
        .build();
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      ClassifyServiceGrpc.ClassifyServiceBlockingStub stub = ClassifyServiceGrpc.newBlockingStub(channel);
      ClientImageEncoder encoder = encoder(stub);
      ClassifyRequest.Builder request = ClassifyRequest.newBuilder().setTopK(topK);
      for (Path path : images) {
        request.addImages(encoder.encode(path).toBuilder().setId(path.getFileName().toString()));
      }
      ClassifyResponse response = stub.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS).classify(request.build());
      print(response, out);
      return ExitCodes.OK;
    } catch (StatusRuntimeException e) {
      err.println("error: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      return ExitCodes.FAILED;
    } finally {
      channel.shutdownNow();
    }
  }

  private ClientImageEncoder encoder(ClassifyServiceGrpc.ClassifyServiceBlockingStub stub) {
    if (encoding.raw) {
      return ClientImageEncoder::raw;
    }
    if (encoding.tensor) {
      ModelInfo info = stub.withDeadlineAfter(timeoutSeconds, TimeUnit.SECONDS)
          .getModelInfo(GetModelInfoRequest.getDefaultInstance());
      return ClientImageEncoder.tensor(info);
    }
    return path -> Image.newBuilder()
        .setEncoded(EncodedImage.newBuilder().setData(ByteString.copyFrom(read(path))))
        .build();
  }

  static byte[] read(Path path) {
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new ConfigurationException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  private static void print(ClassifyResponse response, PrintWriter out) {
    for (Classification result : response.getResultsList()) {
      out.println(result.getId());
      for (ClassScore score : result.getClassesList()) {
        String label = score.getLabel().isEmpty() ? "class " + score.getIndex() : score.getLabel();
        out.printf("  %-32s %.4f%n", label, score.getProbability());
      }
    }
    out.flush();
  }
}
