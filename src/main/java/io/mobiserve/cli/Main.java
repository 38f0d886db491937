package io.mobiserve.cli;

import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The entry point of {@code mobiserve.jar}: {@code serve}, {@code classify}, {@code health}, {@code export-model},
 * {@code bench}.
 */
@Command(
    name = "mobiserve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "MobileNetV3 image classification served over gRPC.",
    subcommands = {ServeCommand.class, ClassifyCommand.class, HealthCommand.class, ExportModelCommand.class,
        BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main {

  public static void main(String[] args) {
    // Images are decoded by OpenCV; the JDK's imaging (the warm-up image, client-side --raw) must never try
    // to reach a display.
    System.setProperty("java.awt.headless", "true");
    // grpc-java and ONNX Runtime's Java layer log through java.util.logging.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    CommandLine line = commandLine();
    try {
      if (args.length > 0 && args[0].equals("serve")) {
        // Flags win over MOBISERVE_* variables, which win over the --config file, which wins over defaults.
        CommandLine serve = line.getSubcommands().get("serve");
        ConfigFile.install(serve, java.util.Arrays.asList(args), System.getenv());
        EnvironmentDefaults.install(serve, System.getenv());
      }
    } catch (ConfigurationException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(ExitCodes.CONFIGURATION);
    }
    // Loading a model runs deep native code (ONNX Runtime's graph optimizer, OpenCV) on the calling
    // thread; the JVM's default 1 MiB stack has been seen to overflow there, killing the process without a
    // report. The command runs on a thread with room to spare.
    int[] exitCode = {ExitCodes.FAILED};
    Thread command = new Thread(null, () -> exitCode[0] = line.execute(args), "main-command", COMMAND_STACK_BYTES);
    command.start();
    try {
      command.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.exit(exitCode[0]);
  }

  private static final long COMMAND_STACK_BYTES = 64L << 20;

  /** The command line, with the project's converters and exit codes; also used by tests. */
  public static CommandLine commandLine() {
    CommandLine line = new CommandLine(new Main());
    line.setCaseInsensitiveEnumValuesAllowed(true);
    line.setExitCodeExceptionMapper(ExitCodes::of);
    line.setExecutionExceptionHandler((failure, command, parseResult) -> {
      command.getErr().println("error: " + failure.getMessage());
      return ExitCodes.of(failure);
    });
    return line;
  }
}
