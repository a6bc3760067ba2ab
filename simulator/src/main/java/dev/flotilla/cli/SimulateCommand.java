package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.simulation.Scenario;
import dev.flotilla.simulation.Simulation;
import dev.flotilla.simulation.SimulationReport;
import dev.flotilla.simulation.SimulationResult;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flotilla simulate SCENARIO}: a scenario's hour of cluster life in seconds, with the real services. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Runs a scenario (YAML) against a simulated cluster and EC2 with Flotilla's real forwarder logic "
        + "and function services, on a simulated clock, and reports what happened and what it cost.")
public final class SimulateCommand implements Callable<Integer> {

  @Parameters(paramLabel = "SCENARIO", description = "The scenario file, e.g. test-events/scenarios/burst.yaml.")
  Path scenario;

  @Option(names = {"-o", "--output"}, defaultValue = "table",
      description = "table (events as they happen, then a summary) or json (the figures only).")
  String output;

  @Option(names = "--report", paramLabel = "FILE.html",
      description = "Also write a self-contained HTML page with the charts and the decisions.")
  Path report;

  @Override
  public Integer call() throws Exception {
    if (!output.equals("table") && !output.equals("json")) {
      throw new CommandFailure.UsageException("--output: '" + output + "' is not table or json");
    }
    Scenario s = Scenario.read(scenario);
    boolean table = output.equals("table");
    PrintStream out = System.out;
    boolean terminal = System.console() != null && table;
    Simulation simulation = new Simulation(s, new Simulation.Listener() {
      @Override
      public void notable(Duration at, String line) {
        if (table) {
          if (terminal) {
            System.err.print("\r\033[K");
          }
          out.println("[" + clock(at) + "] " + line);
        }
      }

      @Override
      public void progress(Duration at, Duration total) {
        if (terminal) {
          int width = 40;
          int done = (int) (width * at.toMillis() / Math.max(1, total.toMillis()));
          System.err.print("\r[" + "#".repeat(done) + " ".repeat(width - done) + "] " + clock(at) + " / "
              + clock(total));
          if (at.equals(total)) {
            System.err.println();
          }
        }
      }
    });
    SimulationResult r = simulation.run();
    if (report != null) {
      SimulationReport.write(report, s, r, simulation.samples(), simulation.decisions());
    }
    if (table) {
      out.println();
      out.println("scenario " + s.name() + ": " + clock(s.duration()) + " simulated in " + r.wallMillis() + " ms");
      row(out, "pods created", r.pods());
      row(out, "running at end", r.podsRunningAtEnd());
      row(out, "pending at end", r.podsPendingAtEnd());
      row(out, "pending seconds p50 / p99 / max", r.pendingSeconds().p50() + " / " + r.pendingSeconds().p99()
          + " / " + r.pendingSeconds().max());
      row(out, "instances launched / terminated", r.instancesLaunched() + " / " + r.instancesTerminated());
      row(out, "double launches", r.doubleLaunches());
      row(out, "cost", String.format(Locale.ROOT, "$%.2f", r.costUsd()));
      row(out, "final price / bound per hour", String.format(Locale.ROOT, "$%.3f / $%.3f (%+.1f%%)",
          r.finalPricePerHour(), r.finalLowerBoundPerHour(), r.finalLowerBoundPerHour() <= 0 ? 0
              : 100 * (r.finalPricePerHour() / r.finalLowerBoundPerHour() - 1)));
      row(out, "interruptions", r.interruptions());
      row(out, "consolidation actions", r.consolidationActions());
      row(out, "nodes at peak", r.nodesAtPeak());
      row(out, "pods planned twice (second round)", r.podsSecondRound());
      row(out, "pods relaunched after consolidation", r.consolidationRelaunches());
      row(out, "pods nominated / binder", r.podsNominated() + " / " + r.binder());
      if (s.faults().any()) {
        row(out, "faults injected", r.faultsInjected());
        row(out, "invariant violations", r.invariantViolations().size());
        r.invariantViolations().forEach(v -> out.println("    [" + clock(Duration.ofSeconds(v.at())) + "] "
            + v.invariant() + ": " + v.detail()));
      }
      if (report != null) {
        row(out, "report", report.toString());
      }
    } else {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
    }
    if (!r.invariantViolations().isEmpty()) {
      System.err.println("flotilla simulate: " + r.invariantViolations().size() + " invariant violation(s), the first "
          + r.invariantViolations().getFirst().invariant() + " at " + r.invariantViolations().getFirst().at() + " s: "
          + r.invariantViolations().getFirst().detail());
      return CommandFailure.FAILED;
    }
    return 0;
  }

  private static void row(PrintStream out, String name, Object value) {
    out.printf(Locale.ROOT, "  %-34s %s%n", name, value);
  }

  static String clock(Duration d) {
    return String.format(Locale.ROOT, "%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
  }
}
