package io.mobiserve.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * A self-contained HTML report: a table of the steps and three plots (throughput against load, latency
 * percentiles against throughput, the latency histograms), drawn with XChart and embedded as base64 PNGs,
 * so that the file opens anywhere, offline, with nothing beside it.
 */
public final class HtmlReport {
  static final int WIDTH = 900;
  static final int HEIGHT = 480;

  private HtmlReport() {}

  public static String html(BenchReport report) {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>mobiserve bench: ")
        .append(escape(report.model().name())).append(" — ").append(escape(report.target())).append("</title>\n")
        .append("<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}"
            + "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;"
            + "text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}.bad{color:#b00;"
            + "font-weight:bold}img{display:block;margin:1em 0;max-width:100%}code{background:#f3f3f3}</style>\n"
            + "</head><body>\n");
    html.append("<h1>mobiserve bench</h1>\n<p><b>").append(escape(report.mode())).append("</b> against <b>")
        .append(escape(report.target())).append("</b>, started ").append(escape(report.startedAt())).append("</p>\n");
    ModelUnderTest m = report.model();
    html.append("<p>Model <b>").append(escape(m.name())).append("</b>: ").append(escape(m.architecture()))
        .append(", backend ").append(escape(m.backend())).append(", input ").append(m.input().channels()).append('x')
        .append(m.input().height()).append('x').append(m.input().width()).append(", max batch ").append(m.maxBatch())
        .append(".</p>\n<p>Settings: <code>").append(escape(ReportFormats.describeSettings(report.settings())))
        .append("</code></p>\n");
    if (report.totalErrors() > 0) {
      html.append("<p class=\"bad\">").append(report.totalErrors()).append(" requests failed: see the table.</p>\n");
    }
    table(report, html);
    html.append("<h2>Throughput against ").append(escape(report.loadName())).append("</h2>\n");
    image(throughputChart(report), html);
    html.append("<h2>Latency percentiles against throughput</h2>\n");
    image(latencyChart(report), html);
    html.append("<h2>Latency histogram</h2>\n");
    image(histogramChart(report), html);
    html.append("<p>Latency is measured by the client from the request's send time (open loop and streams: its "
        + "intended send time). The server split comes from each result's timings; network+client is latency "
        + "minus the server's time for the request.</p>\n</body></html>\n");
    return html.toString();
  }

  private static void table(BenchReport report, StringBuilder html) {
    html.append("<table>\n<tr><th>step</th><th>img/s</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th>"
        + "<th>p95 ms</th><th>p99 ms</th><th>max ms</th><th>preprocess ms</th><th>queue ms</th>"
        + "<th>inference ms</th><th>network+client ms</th><th>errors</th><th>late sends</th><th>stability</th></tr>\n");
    for (StepResult s : report.steps()) {
      html.append("<tr><td>").append(escape(s.label())).append("</td>");
      for (double value : new double[] {s.imagesPerSecond(), s.requestsPerSecond()}) {
        html.append("<td>").append(String.format(Locale.ROOT, "%.1f", value)).append("</td>");
      }
      LatencySummary l = s.latencyMs();
      for (double value : new double[] {l.p50(), l.p90(), l.p95(), l.p99(), l.max(), s.server().preprocessMeanMs(),
          s.server().queueMeanMs(), s.server().inferenceMeanMs(), s.networkClientMs().mean()}) {
        html.append("<td>").append(String.format(Locale.ROOT, "%.2f", value)).append("</td>");
      }
      html.append(s.errorCount() > 0 ? "<td class=\"bad\">" : "<td>").append(s.errorCount());
      for (Map.Entry<String, Long> e : s.errors().entrySet()) {
        html.append("<br>").append(e.getValue()).append(" × ").append(escape(e.getKey()));
      }
      html.append("</td><td>").append(s.lateSends()).append("</td>")
          .append(s.stable() ? "<td>stable</td>" : "<td class=\"bad\">unstable</td>").append("</tr>\n");
    }
    html.append("</table>\n");
  }

  static XYChart throughputChart(BenchReport report) {
    XYChart chart = chart("Throughput", report.loadName(), "images/s");
    double[] load = report.steps().stream().mapToDouble(StepResult::load).toArray();
    double[] images = report.steps().stream().mapToDouble(StepResult::imagesPerSecond).toArray();
    styled(chart.addSeries("images/s", load, images), new Color(0x1f77b4));
    chart.getStyler().setLegendVisible(false);
    // Sweeps like 1,8,32,64 read best on a log axis: the knee is not squeezed against the left edge.
    double min = Arrays.stream(load).min().orElse(1);
    double max = Arrays.stream(load).max().orElse(1);
    chart.getStyler().setXAxisLogarithmic(min > 0 && max / min >= 8);
    headroom(chart, images);
    return chart;
  }

  static XYChart latencyChart(BenchReport report) {
    XYChart chart = chart("Latency against throughput", "images/s", "latency (ms)");
    double[] throughput = report.steps().stream().mapToDouble(StepResult::imagesPerSecond).toArray();
    styled(chart.addSeries("p50", throughput, values(report, l -> l.p50())), new Color(0x2ca02c));
    styled(chart.addSeries("p90", throughput, values(report, l -> l.p90())), new Color(0xff7f0e));
    styled(chart.addSeries("p99", throughput, values(report, l -> l.p99())), new Color(0xd62728));
    headroom(chart, values(report, l -> l.p99()));
    return chart;
  }

  static XYChart histogramChart(BenchReport report) {
    XYChart chart = chart("Latency distribution per step", "latency (ms)", "share of requests (%)");
    Color[] palette = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)};
    int i = 0;
    for (StepResult step : report.steps()) {
      if (step.histogram().isEmpty()) {
        continue;
      }
      List<Double> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      double previous = 0;
      for (StepResult.Bucket bucket : step.histogram()) {
        double share = 100.0 * bucket.count() / step.requests();
        // A step outline: flat across each bucket.
        x.add(previous);
        y.add(share);
        x.add(bucket.upToMs());
        y.add(share);
        previous = bucket.upToMs();
      }
      XYSeries series = chart.addSeries(step.label(), x, y);
      series.setMarker(SeriesMarkers.NONE);
      series.setLineColor(palette[i++ % palette.length]);
      series.setLineStyle(new BasicStroke(2f));
    }
    return chart;
  }

  /** Room above the highest point, so that neither its marker nor the legend hides it. */
  private static void headroom(XYChart chart, double[] values) {
    double max = Arrays.stream(values).max().orElse(0);
    if (max > 0) {
      chart.getStyler().setYAxisMax(max * 1.15);
    }
  }

  private static double[] values(BenchReport report, java.util.function.ToDoubleFunction<LatencySummary> of) {
    return report.steps().stream().mapToDouble(s -> of.applyAsDouble(s.latencyMs())).toArray();
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x).yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesColor(new Color(0xdddddd));
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setDecimalPattern("#,##0.##");
    return chart;
  }

  private static void styled(XYSeries series, Color color) {
    series.setMarker(SeriesMarkers.CIRCLE);
    series.setLineColor(color);
    series.setMarkerColor(color);
    series.setLineStyle(new BasicStroke(2f));
  }

  /** The chart as PNG bytes. */
  static byte[] png(Chart<?, ?> chart) {
    try {
      return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void image(Chart<?, ?> chart, StringBuilder html) {
    html.append("<img alt=\"").append(escape(chart.getTitle())).append("\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png(chart))).append("\">\n");
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
