package io.mobiserve.server.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.mobiserve.engine.onnxruntime.OrtEngine;
import io.mobiserve.engine.onnxruntime.OrtEngineOptions;
import io.mobiserve.metrics.PrometheusMetrics;
import io.mobiserve.model.ModelOverrides;
import io.mobiserve.model.OnnxModelLoader;
import io.mobiserve.runtime.RuntimeConfig;
import io.mobiserve.server.ServerLimits;
import io.mobiserve.server.ModelEndpoint;
import io.mobiserve.testing.DigitsFixture;
import io.mobiserve.testing.RunningServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The HTTP server choice, measured: the same {@link V2Routes} (real digits model, real pipeline) served by
 * Jetty ({@link KServeHttpServer}, what serve uses) and by the JDK's com.sun.net.httpserver with as many
 * threads, each driven by wrk with a small JSON infer (one 80x80 PNG as {"b64": ...}, classification of
 * the top class) and a GET of /v2/health/ready. Not part of the suite: it runs only when asked, in
 * surefire's JVM (a plain {@code java -cp} launch of the test classpath died with SIGSEGV under load here):
 *
 * <pre>
 * ./mvnw -q -B -o test -Dtest=HttpServerBenchmark -Dmobiserve.bench.http=true    # needs wrk (Debian: wrk)
 * </pre>
 *
 * docs/benchmarks.md has the figures.
 */
class HttpServerBenchmark {
  private static final int THREADS = 16;

  @org.junit.jupiter.api.Test
  void jettyAgainstTheJdkServer() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Boolean.getBoolean("mobiserve.bench.http"),
        "a benchmark: -Dmobiserve.bench.http=true runs it");
    Path dir = Files.createTempDirectory("http-bench");
    Path body = dir.resolve("body.json");
    Path lua = dir.resolve("post.lua");
    Files.writeString(lua, "local f = io.open(os.getenv(\"BODY\"), \"r\")\nwrk.method = \"POST\"\n"
        + "wrk.body = f:read(\"*a\")\nf:close()\nwrk.headers[\"Content-Type\"] = \"application/json\"\n");
    // The JDK server's default leaves Nagle's algorithm on, which costs a delayed ACK (~40 ms) per small
    // response; measured both ways (docs/benchmarks.md), it is compared here at its best. Read once per JVM.
    System.setProperty("sun.net.httpserver.nodelay", System.getProperty("mobiserve.bench.jdk.nodelay", "true"));
    byte[] png = DigitsFixture.heldOut().get(0).bytes();
    Files.writeString(body, "{\"inputs\": [{\"name\": \"input\", \"datatype\": \"BYTES\", \"shape\": [1],"
        + " \"data\": [{\"b64\": \"" + Base64.getEncoder().encodeToString(png) + "\"}]}],"
        + " \"outputs\": [{\"name\": \"probabilities\", \"parameters\": {\"classification\": 1}}]}");
    ServerLimits limits = ServerLimits.DEFAULT;
    PrometheusMetrics metrics = PrometheusMetrics.create();
    RunningServer grpc = new RunningServer(OnnxModelLoader.load(DigitsFixture.model(), ModelOverrides.none()),
        (m, batches) -> OrtEngine.open(m, batches, new OrtEngineOptions(2)), RuntimeConfig.builder().build(), limits,
        metrics);
    ModelEndpoint serving = ModelEndpoint.of(grpc.runtime(), limits);
    KServeHttpServer jetty = KServeHttpServer.start("127.0.0.1", 0, limits, metrics);
    jetty.serve(serving);
    HttpServer jdk = jdk(0, new V2Routes(() -> serving, metrics, System::nanoTime), limits.maxMessageBytes());
    StringBuilder table = new StringBuilder("server  load                      req/s     p50      p99\n");
    for (int round = 1; round <= 2; round++) {
      for (String kind : new String[] {"jetty", "jdk"}) {
        int port = kind.equals("jetty") ? jetty.port() : jdk.getAddress().getPort();
        String base = "http://127.0.0.1:" + port;
        wrk(body, lua, 16, 5, base + "/v2/models/digits-mobilenetv3-small/infer"); // warm-up
        for (int connections : new int[] {1, 16, 64}) {
          table.append(String.format("%-7s infer c=%-3d round %d  %s%n", kind, connections, round,
              wrk(body, lua, connections, 10, base + "/v2/models/digits-mobilenetv3-small/infer")));
        }
        table.append(String.format("%-7s ready c=64  round %d  %s%n", kind, round,
            wrk(body, null, 64, 10, base + "/v2/health/ready")));
      }
    }
    System.out.println(table);
    jdk.stop(0);
    jetty.close();
    grpc.close();
  }

  /** Runs wrk (one thread, {@code connections} connections) and returns "req/s p50 p99". */
  private static String wrk(Path body, Path lua, int connections, int seconds, String url) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(
        "wrk", "-t1", "-c" + connections, "-d" + seconds + "s", "--latency"));
    if (lua != null) {
      command.addAll(java.util.List.of("-s", lua.toString()));
    }
    command.add(url);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("BODY", body.toString());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    process.waitFor();
    String rps = match(out, "Requests/sec:\\s+([\\d.]+)");
    String p50 = match(out, "50%\\s+(\\S+)");
    String p99 = match(out, "99%\\s+(\\S+)");
    String errors = out.contains("Non-2xx") || out.contains("Socket errors") ? "  (errors: "
        + out.lines().filter(l -> l.contains("Non-2xx") || l.contains("Socket errors")).toList() + ")" : "";
    return String.format("%8s %8s %8s%s", rps, p50, p99, errors);
  }

  private static String match(String text, String regex) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(text);
    return m.find() ? m.group(1) : "?";
  }

  /** The same routes on com.sun.net.httpserver: a bounded body read, the reply written when it is ready. */
  static HttpServer jdk(int port, V2Routes routes, int maxBodyBytes) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
    ExecutorService threads = Executors.newFixedThreadPool(THREADS);
    server.setExecutor(threads);
    server.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(maxBodyBytes);
      }
      V2Request request = new V2Request(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
          exchange.getRequestHeaders().getFirst("Inference-Header-Content-Length"), body,
          exchange.getRemoteAddress().toString(), () -> false);
      routes.handle(request).whenComplete((reply, failure) -> write(exchange, reply));
    });
    server.start();
    return server;
  }

  private static void write(HttpExchange exchange, V2Reply reply) {
    try {
      if (reply.contentType() != null) {
        exchange.getResponseHeaders().set("Content-Type", reply.contentType());
      }
      exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(reply.body());
      }
    } catch (IOException e) {
      exchange.close();
    }
  }
}
