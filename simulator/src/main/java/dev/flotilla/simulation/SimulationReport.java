package dev.flotilla.simulation;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** One self-contained HTML page of a run: inline SVG charts, the figures and the decisions; nothing from the network. */
public final class SimulationReport {

  private static final int WIDTH = 900;
  private static final int HEIGHT = 220;
  private static final int PAD = 40;

  private SimulationReport() {}

  /** One line of a chart. */
  private record Line(String name, String color, ToDoubleFunction<Simulation.Sample> value) {}

  public static void write(Path file, Scenario scenario, SimulationResult result, List<Simulation.Sample> samples,
      List<Simulation.Decision> decisions) throws IOException {
    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Flotilla simulation: ")
        .append(escape(scenario.name())).append("</title><style>")
        .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}")
        .append("h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:13px}")
        .append("td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}svg{background:#fafafa}")
        .append(".legend span{margin-right:16px}</style></head><body>");
    html.append("<h1>Flotilla simulation: ").append(escape(scenario.name())).append("</h1>");
    html.append("<table>");
    row(html, "simulated", scenario.duration().toMinutes() + " min in " + result.wallMillis() + " ms");
    row(html, "pods created / running / pending at end", result.pods() + " / " + result.podsRunningAtEnd() + " / "
        + result.podsPendingAtEnd());
    row(html, "pending seconds p50 / p99 / max", result.pendingSeconds().p50() + " / "
        + result.pendingSeconds().p99() + " / " + result.pendingSeconds().max());
    row(html, "instances launched / terminated", result.instancesLaunched() + " / " + result.instancesTerminated());
    row(html, "double launches", Integer.toString(result.doubleLaunches()));
    row(html, "cost", String.format(Locale.ROOT, "$%.2f", result.costUsd()));
    row(html, "final $/h / a fresh plan of the final pods / bound", String.format(Locale.ROOT, "%.3f / %.3f / %.3f",
        result.finalPricePerHour(), result.finalPlanPerHour(), result.finalLowerBoundPerHour()));
    row(html, "interruptions / consolidation actions", result.interruptions() + " / "
        + result.consolidationActions());
    row(html, "nodes at peak", Integer.toString(result.nodesAtPeak()));
    row(html, "pods planned twice (second round) / relaunched after consolidation", result.podsSecondRound()
        + " / " + result.consolidationRelaunches());
    row(html, "pods nominated / binder", result.podsNominated() + " / " + escape(result.binder()));
    html.append("</table>");
    chart(html, "Pending pods", samples, List.of(new Line("pending", "#d9480f", Simulation.Sample::pending)));
    chart(html, "Nodes by capacity type", samples, List.of(
        new Line("spot", "#1c7ed6", Simulation.Sample::spotNodes),
        new Line("on-demand", "#2b8a3e", Simulation.Sample::onDemandNodes)));
    chart(html, "Fleet $/h against the bound", samples, List.of(
        new Line("fleet $/h", "#5f3dc4", Simulation.Sample::pricePerHour),
        new Line("lower bound $/h", "#868e96", Simulation.Sample::lowerBoundPerHour)));
    html.append("<h2>Decisions</h2><table><tr><th>time</th><th>decision</th></tr>");
    for (Simulation.Decision d : decisions) {
      html.append("<tr><td>").append(String.format(Locale.ROOT, "%02d:%02d:%02d", d.second() / 3600,
          d.second() / 60 % 60, d.second() % 60)).append("</td><td>").append(escape(d.text())).append("</td></tr>");
    }
    html.append("</table></body></html>\n");
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, html);
  }

  /** One line of an overlay chart: its own run's samples. */
  private record Series(String name, String color, List<Simulation.Sample> samples,
      ToDoubleFunction<Simulation.Sample> value) {}

  /**
   * One page of two runs of a scenario: the figures side by side, and each run's $/h and pending pods on the same
   * charts, over each run's own bound.
   */
  public static void writeComparison(Path file, Scenario scenario, Comparison comparison,
      List<Simulation.Sample> flotilla, List<Simulation.Sample> other) throws IOException {
    StringBuilder html = new StringBuilder();
    String title = "Flotilla and " + comparison.other() + ": " + scenario.name();
    html.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(escape(title))
        .append("</title><style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}")
        .append("h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;font-size:13px}")
        .append("td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}svg{background:#fafafa}")
        .append(".legend span{margin-right:16px}</style></head><body>");
    html.append("<h1>").append(escape(title)).append("</h1><table><tr><th>figure</th><th>flotilla</th><th>")
        .append(escape(comparison.other())).append("</th><th>").append(escape(comparison.other()))
        .append(" / flotilla</th></tr>");
    for (Comparison.Row r : comparison.rows()) {
      html.append("<tr><td>").append(escape(r.figure())).append("</td><td>").append(r.flotilla()).append("</td><td>")
          .append(r.compared()).append("</td><td>").append(r.ratio()).append("</td></tr>");
    }
    html.append("</table>");
    overlay(html, "Fleet $/h", List.of(
        new Series("flotilla $/h", "#5f3dc4", flotilla, Simulation.Sample::pricePerHour),
        new Series(comparison.other() + " $/h", "#e8590c", other, Simulation.Sample::pricePerHour),
        new Series("lower bound $/h (flotilla's run)", "#868e96", flotilla, Simulation.Sample::lowerBoundPerHour)));
    overlay(html, "Pending pods", List.of(
        new Series("flotilla", "#5f3dc4", flotilla, Simulation.Sample::pending),
        new Series(comparison.other(), "#e8590c", other, Simulation.Sample::pending)));
    html.append("</body></html>\n");
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, html);
  }

  private static void overlay(StringBuilder html, String title, List<Series> series) {
    html.append("<h2>").append(escape(title)).append("</h2><div class=\"legend\">");
    series.forEach(l -> html.append("<span style=\"color:").append(l.color()).append("\">&#9632; ")
        .append(escape(l.name())).append("</span>"));
    html.append("</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
        .append(HEIGHT).append("\" role=\"img\" aria-label=\"").append(escape(title)).append("\">");
    double maxX = 1;
    double maxY = 0;
    for (Series l : series) {
      for (Simulation.Sample s : l.samples()) {
        maxX = Math.max(maxX, s.second());
        maxY = Math.max(maxY, l.value().applyAsDouble(s));
      }
    }
    maxY = maxY <= 0 ? 1 : maxY * 1.1;
    html.append("<line x1=\"").append(PAD).append("\" y1=\"").append(HEIGHT - PAD).append("\" x2=\"")
        .append(WIDTH - 10).append("\" y2=\"").append(HEIGHT - PAD).append("\" stroke=\"#999\"/>");
    html.append("<text x=\"4\" y=\"14\" font-size=\"11\">").append(format(maxY)).append("</text>");
    html.append("<text x=\"").append(WIDTH - 60).append("\" y=\"").append(HEIGHT - 22)
        .append("\" font-size=\"11\">").append((long) maxX / 60).append(" min</text>");
    for (Series l : series) {
      StringBuilder points = new StringBuilder();
      for (Simulation.Sample s : l.samples()) {
        double x = PAD + (WIDTH - PAD - 10) * s.second() / maxX;
        double y = HEIGHT - PAD - (HEIGHT - PAD - 10) * l.value().applyAsDouble(s) / maxY;
        points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      html.append("<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"").append(l.color())
          .append("\" points=\"").append(points.toString().trim()).append("\"/>");
    }
    html.append("</svg>");
  }

  /** One run's lines over its own samples: an overlay whose series share the samples. */
  private static void chart(StringBuilder html, String title, List<Simulation.Sample> samples, List<Line> lines) {
    overlay(html, title, lines.stream().map(l -> new Series(l.name(), l.color(), samples, l.value())).toList());
  }

  private static void row(StringBuilder html, String name, String value) {
    html.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value)).append("</td></tr>");
  }

  private static String format(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
