package io.mobiserve.cli;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.mobiserve.api.v1.StreamPolicy;
import io.mobiserve.bench.Arrivals;
import io.mobiserve.bench.Bench;
import io.mobiserve.bench.BenchImage;
import io.mobiserve.bench.BenchInputs;
import io.mobiserve.bench.BenchReport;
import io.mobiserve.bench.EngineOnlyTarget;
import io.mobiserve.bench.GoodputSource;
import io.mobiserve.bench.GrpcTarget;
import io.mobiserve.bench.HtmlReport;
import io.mobiserve.bench.InProcessTarget;
import io.mobiserve.bench.InputKind;
import io.mobiserve.bench.LoadTarget;
import io.mobiserve.bench.ModelUnderTest;
import io.mobiserve.bench.ReportFormats;
import io.mobiserve.bench.RuntimeGoodput;
import io.mobiserve.bench.ServerGoodput;
import io.mobiserve.bench.StabilityRule;
import io.mobiserve.bench.Step;
import io.mobiserve.bench.StepResult;
import io.mobiserve.bench.StepTiming;
import io.mobiserve.engine.EngineException;
import io.mobiserve.engine.onnxruntime.BareOrtLoop;
import io.mobiserve.model.ModelSpec;
import io.mobiserve.runtime.Backend;
import io.mobiserve.runtime.BackendChoice;
import io.mobiserve.runtime.EngineSet;
import io.mobiserve.runtime.FailoverTally;
import io.mobiserve.runtime.ModelRuntime;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.ServerLimits;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mobiserve bench}: load-test a server (or the model in-process) and report its figures. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Load-test a mobiserve server (or, with --in-process, the same model with no gRPC) and report "
            + "throughput, latency percentiles and the server's time split per step.",
        "Modes: --concurrency (closed loop, the default), --rate (open loop) or --streams (ClassifyStream).",
        "Exits 1 if any request failed or was answered wrongly."})
final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--target", defaultValue = "localhost:8500", description = "Server address: HOST:PORT (one server), dns:///NAME:PORT"
      + " or ipv4:IP:PORT,IP:PORT (calls round-robin over every address; a stream stays on one) (default: ${DEFAULT-VALUE}).")
  String target;

  @Mixin
  ConnectionOptions connection;

  @Option(names = "--in-process", description = "Send the load straight to the model in this JVM (no gRPC, no server), with serve's settings: the ceiling to compare a server with.")
  boolean inProcess;

  @Option(names = "--engine-only", description = "Run the engine alone in this JVM (no batcher, no preprocessing, no gRPC): each request is one batch of --batch ready tensors, on one of --instances engine instances. The ceiling an in-process or server run is compared with.")
  boolean engineOnly;

  @Option(names = "--bare", description = "With --engine-only: a bare ONNX Runtime loop (one session.run over a tensor made once) instead of mobiserve's engine, for the engine's overhead.")
  boolean bare;

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  LoadMode mode = new LoadMode();

  static final class LoadMode {
    @Option(names = "--concurrency", split = ",", paramLabel = "N", description = "Closed loop: N clients, each sending when its last answer came; one step per value (default: 1).")
    List<Integer> concurrency;

    @Option(names = "--rate", split = ",", paramLabel = "R", description = "Open loop: R requests per second, answered or not; one step per value.")
    List<Double> rate;

    @Option(names = "--streams", split = ",", paramLabel = "N", description = "ClassifyStream: N streams sending --fps frames per second each; one step per value.")
    List<Integer> streams;
  }

  @Option(names = "--arrivals", defaultValue = "constant", paramLabel = "constant|poisson", description = "Open loop: how requests are spaced (default: ${DEFAULT-VALUE}).")
  Arrivals arrivals;

  @Option(names = "--seed", defaultValue = "1", description = "Open loop: the seed of Poisson arrivals (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--max-in-flight", defaultValue = "1024", description = "Open loop: the most requests outstanding; sends over it wait and count as late (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  /** The stream policies a user can ask for with {@code --policy}. */
  enum Policy { BLOCK, LATEST }

  @Option(names = "--policy", defaultValue = "block", description = "Streams: block (every frame classified) or latest (the server drops stale frames; counted apart) (default: ${DEFAULT-VALUE}).")
  Policy policy;

  @Option(names = "--fps", defaultValue = "30", description = "Streams: frames per second per stream (default: ${DEFAULT-VALUE}).")
  double fps;

  @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class, description = "Load before each step's measurement, not counted (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class, description = "Measurement per step (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(names = "--window", converter = DurationConverter.class, description = "Measurement window for the stability rule (default: a third of --duration, at most 5s).")
  Duration window;

  @Option(names = "--max-extension", converter = DurationConverter.class, description = "How much longer a step may run while its last 3 windows disagree by more than 10%% (default: --duration).")
  Duration maxExtension;

  @Option(names = "--timeout", defaultValue = "30s", converter = DurationConverter.class, description = "Deadline of each request (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--input", defaultValue = "tensor", paramLabel = "tensor|raw|jpeg|png", description = "The form images are sent in (default: ${DEFAULT-VALUE}).")
  InputKind input;

  @Option(names = "--image-size", defaultValue = "640x480", paramLabel = "WxH", description = "Generated images' size for raw, jpeg and png input; tensors always match the model (default: ${DEFAULT-VALUE}).")
  String imageSize;

  @Option(names = "--batch", defaultValue = "1", description = "Images per request (default: ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--images", paramLabel = "DIR", description = "Send the JPEG/PNG files of DIR, cycled, instead of generated pictures.")
  Path images;

  @Option(names = "--top-k", defaultValue = "5", description = "Classes asked for per image (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(names = "--expect", split = ",", paramLabel = "CODE", description = "Status codes that are an expected outcome under this load, e.g. RESOURCE_EXHAUSTED,DEADLINE_EXCEEDED for an overload test: reported, but they do not fail the run.")
  List<String> expectedCodes = List.of();

  @Option(names = "--ignore-pushback", description = "Closed loop: send the next request at once even when the server asked to wait (grpc-retry-pushback-ms), as a misbehaving client would.")
  boolean ignorePushback;

  @Option(names = "--server-metrics", paramLabel = "URL", description = "The server's Prometheus endpoint (e.g. http://localhost:9090/metrics): read around each step to report the server's goodput. In-process runs report it without this.")
  java.net.URI serverMetrics;

  @Option(names = "--json", paramLabel = "FILE", description = "Write the report as JSON.")
  Path json;

  @Option(names = "--csv", paramLabel = "FILE", description = "Write one CSV row per step.")
  Path csv;

  @Option(names = "--html", paramLabel = "FILE", description = "Write a self-contained HTML report with plots.")
  Path html;

  @Mixin
  ModelOptions modelOptions;

  @Mixin
  RuntimeOptions runtimeOptions;

  @Override
  public Integer call() throws Exception {
    validate();
    StepTiming timing = timing();
    PrintWriter out = spec.commandLine().getOut();
    if (engineOnly) {
      return engineOnly(timing, out);
    }
    if (inProcess) {
      return inProcess(timing, out);
    }
    // Answers are handled on the transport's thread: the callbacks only record an outcome and wake the
    // sender, so the default executor would add a thread hop to every request's measured latency.
    ManagedChannel channel = connection.channel(target)
        .maxInboundMessageSize(64 << 20)
        .directExecutor()
        .build();
    try {
      ModelUnderTest model;
      try {
        model = GrpcTarget.facts(GrpcTarget.modelInfo(channel, Duration.ofSeconds(30)));
      } catch (StatusRuntimeException e) {
        spec.commandLine().getErr().println("error: cannot ask " + target + " for its model: "
            + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
        return ExitCodes.FAILED;
      }
      checkBatch(model);
      List<BenchImage> inputs = inputs(model);
      List<Step> steps;
      if (mode.streams != null) {
        steps = Step.streams(channel, inputs, batch, Math.min(topK, model.classes()), mode.streams, fps,
            policy == Policy.LATEST ? StreamPolicy.STREAM_POLICY_LATEST : StreamPolicy.STREAM_POLICY_BLOCK,
            timing.longestStep());
      } else {
        steps = steps(new GrpcTarget(channel, target, inputs, batch, Math.min(topK, model.classes()), timeout));
      }
      GoodputSource goodput = serverMetrics == null ? GoodputSource.NONE : new ServerGoodput(serverMetrics);
      return runAndReport(steps, timing, model, target, inputs, goodput, out);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private int inProcess(StepTiming timing, PrintWriter out) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    RuntimeConfig config = runtimeOptions.toConfig(cores, ServerLimits.DEFAULT.image());
    BackendChoice backend = BackendChoice.choose(config);
    ModelSpec spec = modelOptions.resolve();
    ModelRuntime runtime;
    RuntimeGoodput goodput = new RuntimeGoodput();
    try {
      runtime = ModelRuntime.start(spec, config, backend, goodput);
    } catch (EngineException e) {
      throw new IllegalStateException("the engine could not start: " + e.getMessage(), e);
    }
    FailoverTally failovers = FailoverTally.watching(runtime.health());
    try {
      runtime.warmUp();
      ModelUnderTest model = new ModelUnderTest(spec.name(), spec.architecture(), runtime.engineInfo().backend(),
          spec.input(), spec.preprocessing(), spec.classes(), runtime.maxBatch(),
          ServerLimits.DEFAULT.maxImagesPerRequest());
      checkBatch(model);
      List<BenchImage> inputs = inputs(model);
      try (LoadTarget local = new InProcessTarget(runtime.pipeline(), inputs, batch, topK, timeout)) {
        int exitCode = runAndReport(steps(local), timing, model, "in-process", inputs, goodput, out);
        // The figures above are the GPU's only if it never failed over: say so when it did.
        failovers.summary().ifPresent(out::println);
        return exitCode;
      }
    } finally {
      runtime.close();
    }
  }

  private int engineOnly(StepTiming timing, PrintWriter out) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    RuntimeConfig config = runtimeOptions.toConfig(cores, ServerLimits.DEFAULT.image());
    ModelSpec spec = modelOptions.resolve();
    if (bare) {
      if (config.backend() != Backend.CPU) {
        throw new ConfigurationException("--bare runs ONNX Runtime on the CPU: add --backend cpu");
      }
      List<BareOrtLoop> loops = new ArrayList<>();
      try {
        for (int i = 0; i < config.instances(); i++) {
          loops.add(BareOrtLoop.open(spec, batch, config.cpu()));
        }
      } catch (EngineException e) {
        loops.forEach(BareOrtLoop::close);
        throw new IllegalStateException("the bare loop could not start: " + e.getMessage(), e);
      }
      ModelUnderTest model = engineModel(spec, "onnxruntime-cpu (bare loop)", batch);
      try (LoadTarget loop = EngineOnlyTarget.ofBareLoops(loops)) {
        return runAndReport(steps(loop), timing, model, "bare onnxruntime loop",
            BenchInputs.generated(InputKind.TENSOR, 1, 1, model), GoodputSource.NONE, out);
      }
    }
    try (EngineSet engines = EngineSet.open(spec, config, BackendChoice.choose(config))) {
      ModelUnderTest model = engineModel(spec, engines.engines().get(0).info().backend(), engines.batches().max());
      checkBatch(model);
      if (batch > engines.batches().max()) {
        throw new ConfigurationException("--batch " + batch + " is over the engine's max batch of "
            + engines.batches().max() + " (--max-batch)");
      }
      List<BenchImage> inputs = BenchInputs.generated(InputKind.TENSOR, 1, 1, model);
      List<BenchImage.Tensor> tensors = inputs.stream().map(BenchImage.Tensor.class::cast).toList();
      try (LoadTarget target = EngineOnlyTarget.ofEngines(engines.engines(), tensors, batch)) {
        return runAndReport(steps(target), timing, model, "engine-only", inputs, GoodputSource.NONE, out);
      }
    } catch (EngineException e) {
      throw new IllegalStateException("the engine could not start: " + e.getMessage(), e);
    }
  }

  private static ModelUnderTest engineModel(ModelSpec spec, String backend, int maxBatch) {
    return new ModelUnderTest(spec.name(), spec.architecture(), backend, spec.input(), spec.preprocessing(),
        spec.classes(), maxBatch, ServerLimits.DEFAULT.maxImagesPerRequest());
  }

  private List<Step> steps(LoadTarget load) {
    if (mode.rate != null) {
      return Step.openLoop(load, mode.rate, arrivals, seed, maxInFlight);
    }
    return Step.closedLoop(load, mode.concurrency == null ? List.of(1) : mode.concurrency, timeout, !ignorePushback);
  }

  private int runAndReport(List<Step> steps, StepTiming timing, ModelUnderTest model, String where,
      List<BenchImage> inputs, GoodputSource goodput, PrintWriter out) throws InterruptedException, IOException {
    String startedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Object> settings = settings(timing, inputs);
    out.printf("mobiserve bench: %s against %s — model %s (%s), %s%n", modeName(), where, model.name(),
        model.backend(), settings);
    out.println(ReportFormats.tableHeader());
    out.flush();
    List<StepResult> results = Bench.run(steps, timing, batch, goodput, result -> {
      out.println(ReportFormats.tableRow(result));
      out.flush();
    });
    BenchReport report = new BenchReport(startedAt, modeName(), where, model, settings, results);
    write(json, ReportFormats.json(report));
    write(csv, ReportFormats.csv(report));
    if (html != null) {
      write(html, HtmlReport.html(report));
    }
    long unstable = results.stream().filter(r -> !r.stable()).count();
    if (unstable > 0) {
      out.printf("%d step(s) UNSTABLE: their last 3 windows disagreed by more than 10%% in throughput or p99 "
          + "even after the extension; treat their figures with care.%n", unstable);
    }
    Set<String> expected = expectedCodes.stream().map(code -> code.trim().toUpperCase(Locale.ROOT))
        .collect(Collectors.toSet());
    long unexpected = results.stream().mapToLong(r -> r.unexpectedErrorCount(expected)).sum();
    if (unexpected > 0) {
      out.printf("FAILED: %d requests failed or were answered wrongly (see the errors column)%s.%n", unexpected,
          expected.isEmpty() ? "" : "; expected codes " + expected + " are not counted");
      out.flush();
      return ExitCodes.FAILED;
    }
    if (report.totalErrors() > 0) {
      out.printf("%d requests ended with an expected code %s.%n", report.totalErrors(), expected);
    }
    out.flush();
    return ExitCodes.OK;
  }

  private Map<String, Object> settings(StepTiming timing, List<BenchImage> inputs) {
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("input", input.name().toLowerCase(Locale.ROOT));
    settings.put("images", images != null ? images.toString() : "generated");
    if (input != InputKind.TENSOR && images == null) {
      settings.put("imageSize", imageSize);
    }
    settings.put("bytesPerImage", inputs.stream().mapToInt(BenchImage::byteSize).sum() / inputs.size());
    settings.put("batch", batch);
    settings.put("topK", topK);
    settings.put("warmupSeconds", timing.warmup().toMillis() / 1000.0);
    settings.put("durationSeconds", timing.duration().toMillis() / 1000.0);
    settings.put("windowSeconds", timing.window().toMillis() / 1000.0);
    settings.put("maxExtensionSeconds", timing.maxExtension().toMillis() / 1000.0);
    if (mode.rate != null) {
      settings.put("arrivals", arrivals.name().toLowerCase(Locale.ROOT));
      settings.put("seed", seed);
      settings.put("maxInFlight", maxInFlight);
    }
    if (mode.streams != null) {
      settings.put("fps", fps);
      settings.put("policy", policy.name().toLowerCase(java.util.Locale.ROOT));
    }
    if (!expectedCodes.isEmpty()) {
      settings.put("expect", expectedCodes);
    }
    if (ignorePushback) {
      settings.put("ignorePushback", true);
    }
    settings.put("clientCores", Runtime.getRuntime().availableProcessors());
    return settings;
  }

  private String modeName() {
    return mode.rate != null ? "open-loop" : mode.streams != null ? "streams" : "closed-loop";
  }

  private void validate() {
    if (bare && !engineOnly) {
      throw new ConfigurationException("--bare goes with --engine-only");
    }
    if (engineOnly && (mode.streams != null || mode.rate != null)) {
      throw new ConfigurationException("--engine-only runs closed loops (--concurrency): no --streams or --rate");
    }
    if (inProcess && mode.streams != null) {
      throw new ConfigurationException("--streams needs a server (ClassifyStream is a gRPC call); drop --in-process");
    }
    if (batch < 1) {
      throw new ConfigurationException("--batch must be at least 1, not " + batch);
    }
    if (topK < 1) {
      throw new ConfigurationException("--top-k must be at least 1, not " + topK);
    }
    if (mode.concurrency != null && mode.concurrency.stream().anyMatch(c -> c < 1)) {
      throw new ConfigurationException("--concurrency values must be at least 1, not " + mode.concurrency);
    }
    if (mode.rate != null && mode.rate.stream().anyMatch(r -> !(r > 0) || r.isInfinite())) {
      throw new ConfigurationException("--rate values must be positive requests per second, not " + mode.rate);
    }
    if (mode.streams != null && mode.streams.stream().anyMatch(n -> n < 1)) {
      throw new ConfigurationException("--streams values must be at least 1, not " + mode.streams);
    }
    if (!(fps > 0) || Double.isInfinite(fps)) {
      throw new ConfigurationException("--fps must be positive, not " + fps);
    }
    if (maxInFlight < 1) {
      throw new ConfigurationException("--max-in-flight must be at least 1, not " + maxInFlight);
    }
    if (timeout.isZero()) {
      throw new ConfigurationException("--timeout must be positive");
    }
    if (images != null && !Files.isDirectory(images)) {
      throw new ConfigurationException("--images " + images + " is not a folder");
    }
  }

  private StepTiming timing() {
    StepTiming defaults;
    try {
      defaults = StepTiming.of(warmup, duration, timeout);
      return new StepTiming(warmup, duration, window == null ? defaults.window() : window,
          maxExtension == null ? defaults.maxExtension() : maxExtension, StabilityRule.PERF_ANALYZER, timeout);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  private void checkBatch(ModelUnderTest model) {
    if (batch > model.maxImagesPerRequest()) {
      throw new ConfigurationException("--batch " + batch + " is over the server's limit of "
          + model.maxImagesPerRequest() + " images per request");
    }
  }

  private List<BenchImage> inputs(ModelUnderTest model) throws IOException {
    try {
      if (images != null) {
        return BenchInputs.fromFolder(images, input, model);
      }
      int[] size = size(imageSize);
      return BenchInputs.generated(input, size[0], size[1], model);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(e.getMessage(), e);
    }
  }

  private static int[] size(String text) {
    String[] parts = text.toLowerCase(Locale.ROOT).split("x");
    try {
      if (parts.length != 2) {
        throw new NumberFormatException();
      }
      int width = Integer.parseInt(parts[0].trim());
      int height = Integer.parseInt(parts[1].trim());
      if (width < 1 || height < 1 || (long) width * height > 40_000_000L) {
        throw new NumberFormatException();
      }
      return new int[] {width, height};
    } catch (NumberFormatException e) {
      throw new ConfigurationException("--image-size must look like 640x480 (width x height, positive), not '" + text + "'");
    }
  }

  private static void write(Path file, String content) throws IOException {
    if (file == null) {
      return;
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, content);
  }
}
