package io.mobiserve.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** The report as JSON, CSV and a console table. */
public final class ReportFormats {
  /** The CSV columns, in order. */
  public static final List<String> CSV_COLUMNS = List.of(
      "step", "load", "measured_s", "requests", "images", "requests_per_s", "images_per_s",
      "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms",
      "server_preprocess_mean_ms", "server_queue_mean_ms", "server_inference_mean_ms",
      "network_client_mean_ms", "network_client_p50_ms", "errors", "late_sends", "dropped_frames", "stable",
      "goodput");

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

  private ReportFormats() {}

  public static String json(BenchReport report) {
    JsonObject root = new JsonObject();
    root.addProperty("tool", "mobiserve bench");
    root.addProperty("startedAt", report.startedAt());
    root.addProperty("mode", report.mode());
    root.addProperty("target", report.target());
    root.add("model", GSON.toJsonTree(report.model()));
    root.add("settings", GSON.toJsonTree(report.settings()));
    root.addProperty("totalErrors", report.totalErrors());
    JsonArray steps = new JsonArray();
    for (StepResult step : report.steps()) {
      JsonObject json = GSON.toJsonTree(step).getAsJsonObject();
      json.addProperty("requestsPerSecond", step.requestsPerSecond());
      json.addProperty("imagesPerSecond", step.imagesPerSecond());
      json.addProperty("errorCount", step.errorCount());
      steps.add(json);
    }
    root.add("steps", steps);
    return GSON.toJson(root) + "\n";
  }

  public static String csv(BenchReport report) {
    StringBuilder csv = new StringBuilder(String.join(",", CSV_COLUMNS)).append('\n');
    for (StepResult s : report.steps()) {
      csv.append(String.join(",",
          quote(s.label()), num(s.load()), num(s.measuredSeconds()), String.valueOf(s.requests()),
          String.valueOf(s.images()), num(s.requestsPerSecond()), num(s.imagesPerSecond()),
          num(s.latencyMs().p50()), num(s.latencyMs().p90()), num(s.latencyMs().p95()), num(s.latencyMs().p99()),
          num(s.latencyMs().max()), num(s.latencyMs().mean()),
          num(s.server().preprocessMeanMs()), num(s.server().queueMeanMs()), num(s.server().inferenceMeanMs()),
          num(s.networkClientMs().mean()), num(s.networkClientMs().p50()),
          String.valueOf(s.errorCount()), String.valueOf(s.lateSends()), String.valueOf(s.droppedFrames()),
          String.valueOf(s.stable()), num(s.goodput())))
          .append('\n');
    }
    return csv.toString();
  }

  /** The header of the console table. */
  public static String tableHeader() {
    return String.format(Locale.ROOT, "%-24s %9s %9s %8s %8s %8s %8s %8s | %7s %7s %7s %8s | %6s %5s %7s %7s %s",
        "step", "img/s", "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms",
        "pre", "queue", "infer", "net+cli", "errors", "late", "dropped", "goodput", "stability");
  }

  /** One step as a row of the console table, then any errors by code on their own lines. */
  public static String tableRow(StepResult s) {
    StringBuilder row = new StringBuilder(String.format(Locale.ROOT,
        "%-24s %9.1f %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f | %7.2f %7.2f %7.2f %8.2f | %6d %5d %7d %7s %s",
        s.label(), s.imagesPerSecond(), s.requestsPerSecond(),
        s.latencyMs().p50(), s.latencyMs().p90(), s.latencyMs().p95(), s.latencyMs().p99(), s.latencyMs().max(),
        s.server().preprocessMeanMs(), s.server().queueMeanMs(), s.server().inferenceMeanMs(),
        s.networkClientMs().mean(), s.errorCount(), s.lateSends(), s.droppedFrames(),
        Double.isNaN(s.goodput()) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * s.goodput()),
        s.stable() ? "stable" : "UNSTABLE"));
    for (Map.Entry<String, Long> error : s.errors().entrySet()) {
      row.append(String.format(Locale.ROOT, "%n    %d x %s: %s", error.getValue(), error.getKey(),
          s.errorSamples().getOrDefault(error.getKey(), "")));
    }
    return row.toString();
  }

  static String describeSettings(Map<String, Object> settings) {
    return settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
  }

  private static String num(double value) {
    return String.format(Locale.ROOT, "%.3f", value);
  }

  private static String quote(String text) {
    return "\"" + text.replace("\"", "\"\"") + "\"";
  }
}
