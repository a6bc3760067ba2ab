package dev.flotilla.simulation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Two runs of one scenario, Flotilla's decisions and another autoscaler's, figure by figure: each row holds both
 * values and the other's over Flotilla's (blank where Flotilla's is zero).
 */
public record Comparison(String other, SimulationResult flotilla, SimulationResult compared) {

  /** One figure of both runs. */
  public record Row(String figure, String flotilla, String compared, String ratio) {}

  private record Figure(String name, String format, ToDoubleFunction<SimulationResult> value) {}

  private static final List<Figure> FIGURES = List.of(
      new Figure("pods created", "%.0f", SimulationResult::pods),
      new Figure("running at end", "%.0f", SimulationResult::podsRunningAtEnd),
      new Figure("pending at end", "%.0f", SimulationResult::podsPendingAtEnd),
      new Figure("pending seconds p50", "%.0f", r -> r.pendingSeconds().p50()),
      new Figure("pending seconds p99", "%.0f", r -> r.pendingSeconds().p99()),
      new Figure("pending seconds max", "%.0f", r -> r.pendingSeconds().max()),
      new Figure("instances launched", "%.0f", SimulationResult::instancesLaunched),
      new Figure("instances terminated", "%.0f", SimulationResult::instancesTerminated),
      new Figure("cost $", "%.2f", SimulationResult::costUsd),
      new Figure("final $/h", "%.3f", SimulationResult::finalPricePerHour),
      new Figure("final bound $/h", "%.3f", SimulationResult::finalLowerBoundPerHour),
      new Figure("final fresh plan $/h", "%.3f", SimulationResult::finalPlanPerHour),
      new Figure("interruptions", "%.0f", SimulationResult::interruptions),
      new Figure("consolidation actions", "%.0f", SimulationResult::consolidationActions));

  public List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    for (Figure f : FIGURES) {
      double a = f.value().applyAsDouble(flotilla);
      double b = f.value().applyAsDouble(compared);
      rows.add(new Row(f.name(), String.format(Locale.ROOT, f.format(), a), String.format(Locale.ROOT, f.format(), b),
          a == 0 ? "" : String.format(Locale.ROOT, "%.2f", b / a)));
    }
    return rows;
  }

  /** The side-by-side table, one figure a line. */
  public String table() {
    StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "  %-26s %12s %12s %8s%n", "figure", "flotilla",
        other, other + "/flotilla"));
    for (Row r : rows()) {
      out.append(String.format(Locale.ROOT, "  %-26s %12s %12s %8s%n", r.figure(), r.flotilla(), r.compared(),
          r.ratio()));
    }
    return out.toString();
  }
}
