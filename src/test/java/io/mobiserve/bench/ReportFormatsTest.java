package io.mobiserve.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.mobiserve.model.ChannelOrder;
import io.mobiserve.model.InputShape;
import io.mobiserve.model.Preprocessing;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class ReportFormatsTest {

  static BenchReport report() {
    ModelUnderTest model = new ModelUnderTest("m", "MobileNetV3-Large", "onnxruntime-cpu", new InputShape(3, 224, 224),
        new Preprocessing(256, new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f},
            ChannelOrder.RGB),
        1000, 64, 64);
    Map<String, Object> settings = new LinkedHashMap<>();
    settings.put("input", "tensor");
    settings.put("batch", 2);
    return new BenchReport("2026-11-29T00:00:00Z", "closed-loop", "localhost:8500", model, settings, List.of(
        step("concurrency 1", 1, 100, 5, 8, Map.of(), true),
        step("concurrency 8", 8, 240, 30, 60, Map.of("RESOURCE_EXHAUSTED", 3L), false)));
  }

  static StepResult step(String label, double load, long requests, double p50, double p99, Map<String, Long> errors,
      boolean stable) {
    return new StepResult(label, load, 10.0, requests, requests * 2,
        new LatencySummary(requests, p50 * 1.1, p50, p50 * 1.5, p50 * 1.8, p99, p99 * 1.2),
        new StepResult.ServerSplit(0.1, 0.1, p50 / 2, p50 / 2, 4.0, 4.0),
        new LatencySummary(requests, 0.5, 0.4, 0.6, 0.7, 0.9, 1.0),
        errors, errors.isEmpty() ? Map.of() : Map.of("RESOURCE_EXHAUSTED", "queue full"), 0, 0, 0, stable,
        List.of(new Window(5, requests / 10.0, p99), new Window(5, requests / 10.0, p99)),
        List.of(new StepResult.Bucket(p50, requests / 2), new StepResult.Bucket(p99, requests / 2)), 0.97);
  }

  @Test
  void json_parsesAndCarriesTheFigures() {
    JsonObject json = JsonParser.parseString(ReportFormats.json(report())).getAsJsonObject();
    assertThat(json.get("mode").getAsString()).isEqualTo("closed-loop");
    assertThat(json.get("totalErrors").getAsLong()).isEqualTo(3);
    assertThat(json.getAsJsonObject("model").get("backend").getAsString()).isEqualTo("onnxruntime-cpu");
    JsonObject second = json.getAsJsonArray("steps").get(1).getAsJsonObject();
    assertThat(second.get("label").getAsString()).isEqualTo("concurrency 8");
    assertThat(second.get("imagesPerSecond").getAsDouble()).isEqualTo(48.0);
    assertThat(second.get("requestsPerSecond").getAsDouble()).isEqualTo(24.0);
    assertThat(second.getAsJsonObject("latencyMs").get("p99").getAsDouble()).isEqualTo(60.0);
    assertThat(second.getAsJsonObject("server").get("inferenceMeanMs").getAsDouble()).isEqualTo(4.0);
    assertThat(second.getAsJsonObject("errors").get("RESOURCE_EXHAUSTED").getAsLong()).isEqualTo(3);
    assertThat(second.get("stable").getAsBoolean()).isFalse();
    assertThat(second.getAsJsonArray("windows")).hasSize(2);
  }

  @Test
  void csv_hasTheColumnsAndOneRowPerStep() {
    List<String> lines = ReportFormats.csv(report()).lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).split(",")).containsExactlyElementsOf(ReportFormats.CSV_COLUMNS);
    String[] row = lines.get(2).split(",");
    assertThat(row).hasSize(ReportFormats.CSV_COLUMNS.size());
    assertThat(row[ReportFormats.CSV_COLUMNS.indexOf("step")]).isEqualTo("\"concurrency 8\"");
    assertThat(row[ReportFormats.CSV_COLUMNS.indexOf("images_per_s")]).isEqualTo("48.000");
    assertThat(row[ReportFormats.CSV_COLUMNS.indexOf("p99_ms")]).isEqualTo("60.000");
    assertThat(row[ReportFormats.CSV_COLUMNS.indexOf("errors")]).isEqualTo("3");
    assertThat(row[ReportFormats.CSV_COLUMNS.indexOf("stable")]).isEqualTo("false");
  }

  @Test
  void html_embedsThreePngPlots_andFlagsErrorsAndInstability() throws Exception {
    String html = HtmlReport.html(report());
    assertThat(html).contains("<img alt=\"Throughput\" src=\"data:image/png;base64,");
    Matcher images = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
    int count = 0;
    while (images.find()) {
      BufferedImage png = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(images.group(1))));
      assertThat(png.getWidth()).isEqualTo(HtmlReport.WIDTH);
      count++;
    }
    assertThat(count).isEqualTo(3);
    assertThat(html).contains("3 requests failed", "3 × RESOURCE_EXHAUSTED", "unstable");
    assertThat(html).doesNotContain("src=\"http");
  }

  @Test
  void consoleRow_saysUnstableAndListsErrorsByCode() {
    String row = ReportFormats.tableRow(report().steps().get(1));
    assertThat(row).contains("UNSTABLE", "3 x RESOURCE_EXHAUSTED: queue full");
  }
}
