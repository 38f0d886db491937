package io.mobiserve.server.kserve;

import io.mobiserve.api.inference.ServerMetadataResponse;
import java.util.List;

/** What ServerMetadata says about this server: its name, version and protocol extensions. */
public final class ServerInfo {
  /** The Triton extensions served: the classification parameter, HTTP binary tensors, ModelConfig, ModelStatistics. */
  public static final List<String> EXTENSIONS =
      List.of("classification", "binary_tensor_data", "model_configuration", "statistics");

  private ServerInfo() {}

  public static ServerMetadataResponse metadata() {
    return ServerMetadataResponse.newBuilder()
        .setName("mobiserve")
        .setVersion(version())
        .addAllExtensions(EXTENSIONS)
        .build();
  }

  /** The jar's version, or "development" when run from classes. */
  static String version() {
    String version = ServerInfo.class.getPackage().getImplementationVersion();
    return version == null ? "development" : version;
  }
}
