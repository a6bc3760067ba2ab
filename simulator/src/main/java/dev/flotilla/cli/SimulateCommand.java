package dev.flotilla.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.flotilla.simulation.Comparison;
import dev.flotilla.simulation.Faults;
import dev.flotilla.simulation.GeneratedScenario;
import dev.flotilla.simulation.Scenario;
import dev.flotilla.simulation.Simulation;
import dev.flotilla.simulation.SimulationReport;
import dev.flotilla.simulation.SimulationResult;
import dev.flotilla.simulation.karpenter.KarpenterAutoscaler;
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

  @Parameters(paramLabel = "SCENARIO", arity = "0..1",
      description = "The scenario file, e.g. test-events/scenarios/burst.yaml.")
  Path scenario;

  @Option(names = "--generated", paramLabel = "SEED",
      description = "Runs the generated scenario of this seed instead of a file: one of the shipped workloads files, "
          + "its workloads scaled at random, every kind of event and, on a third of the seeds, every kind of fault "
          + "(its workloads files are read from the checkout's test-events/workloads/).")
  Long generated;

  @Option(names = {"-o", "--output"}, defaultValue = "table",
      description = "table (events as they happen, then a summary) or json (the figures only).")
  String output;

  @Option(names = "--report", paramLabel = "FILE.html",
      description = "Also write a self-contained HTML page with the charts and the decisions.")
  Path report;

  @Option(names = "--catalog", paramLabel = "FILE",
      description = "The instance types, zones and on-demand prices of the region to simulate, in the bundled "
          + "catalog's schema (default: the bundled us-east-1 catalog).")
  Path catalog;

  @Option(names = "--compare", paramLabel = "AUTOSCALER",
      description = "Also runs the scenario, same seed, with another autoscaler's decisions (karpenter) and prints "
          + "both side by side; the scenario's faults, which model Lambda's delivery, apply to Flotilla's run only.")
  String compare;

  @Option(names = "--replicas-factor", paramLabel = "F", defaultValue = "1",
      description = "Runs the scenario at another size: every workload's replicas (its manifests' and each scale "
          + "event's) times F, rounded, at least 1 (default: 1). Checks a change on sizes it was not tuned on.")
  double replicasFactor;

  @Option(names = "--scale-down", paramLabel = "RULE",
      description = "Which pods the workloads' controllers delete when they scale down, whatever the scenario says: "
          + "NewestFirst (the default) or ReplicaSetRanks (as Kubernetes' ReplicaSet controller ranks them: first "
          + "the pods of the nodes that run most of the workload's).")
  dev.flotilla.simulation.ScaleDownOrder.Rule scaleDown;

  @Option(names = "--whole-pod-bound",
      description = "Also bound the final pods by fleets of whole pods (each pod on one node, where the final bound "
          + "splits pods across nodes): no fleet, the final one included, costs less. Seconds for a large cluster; "
          + "not with --compare.")
  boolean wholePodBound;

  /** The scenario file, or the generated scenario, whichever the command line names (exactly one). */
  private Scenario scenarioToRun() {
    if ((scenario == null) == (generated == null)) {
      throw new CommandFailure.UsageException("give a SCENARIO file or --generated SEED" + (scenario == null ? ""
          : ", not both"));
    }
    if (scenario != null) {
      return Scenario.read(scenario);
    }
    // the shipped workloads, in the checkout's test-events folder: here or in a folder above
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (java.nio.file.Files.isDirectory(dir.resolve("test-events").resolve("workloads"))) {
        return GeneratedScenario.read(generated, dir.resolve("test-events").resolve("scenarios"));
      }
    }
    throw new CommandFailure.UsageException("--generated: no test-events/workloads/ folder here or above "
        + Path.of("").toAbsolutePath() + ": run it in the checkout");
  }

  @Override
  public Integer call() throws Exception {
    if (!output.equals("table") && !output.equals("json")) {
      throw new CommandFailure.UsageException("--output: '" + output + "' is not table or json");
    }
    if (compare != null && !compare.equals("karpenter")) {
      throw new CommandFailure.UsageException("--compare: '" + compare + "' is not karpenter");
    }
    Scenario s = scenarioToRun();
    s.notRun().forEach(note -> System.err.println("note: " + note));
    try {
      s = s.withReplicasScaled(replicasFactor);
    } catch (IllegalArgumentException e) {
      throw new CommandFailure.UsageException("--replicas-factor: " + e.getMessage());
    }
    if (scaleDown != null) {
      s = s.withScaleDown(scaleDown);
    }
    dev.flotilla.catalog.CatalogFile catalogFile = catalog == null ? dev.flotilla.catalog.CatalogFile.bundled()
        : dev.flotilla.catalog.CatalogFile.read(catalog);
    String prices = prices(catalogFile, catalog, s.ec2().spotPriceRatio());
    if (compare != null) {
      if (wholePodBound) {
        throw new CommandFailure.UsageException("--whole-pod-bound bounds one run's final pods, not a comparison's");
      }
      return compare(s, catalogFile, prices);
    }
    boolean table = output.equals("table");
    PrintStream out = System.out;
    Simulation simulation = new Simulation(s, listener(out, table, ""), catalogFile);

    if (table) {
      out.println("prices: " + prices);
    }
    SimulationResult r = simulation.run();
    double whole = wholePodBound ? simulation.finalWholePodBound() : Double.NaN;
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
      row(out, "a fresh plan of the final pods", String.format(Locale.ROOT, "$%.3f/h", r.finalPlanPerHour()));
      if (wholePodBound) {
        // both bound the final fleet: the higher is the tighter
        double higher = Double.isNaN(whole) ? r.finalLowerBoundPerHour() : Math.max(whole, r.finalLowerBoundPerHour());
        row(out, "whole-pod bound of the final pods", Double.isNaN(whole) ? "none (no pod runs)"
            : String.format(Locale.ROOT, "$%.3f/h (%.3f of the bound; the final price %+.1f%% over the higher)",
                whole, r.finalLowerBoundPerHour() > 0 ? whole / r.finalLowerBoundPerHour() : 0,
                higher > 0 ? 100 * (r.finalPricePerHour() / higher - 1) : 0));
      }
      row(out, "prices", prices);
      row(out, "interruptions", r.interruptions());
      row(out, "consolidation actions", r.consolidationActions());
      row(out, "nodes at peak", r.nodesAtPeak());
      row(out, "pods planned twice (second round)", r.podsSecondRound());
      row(out, "pods relaunched after consolidation", r.consolidationRelaunches());
      row(out, "pods nominated / binder", r.podsNominated() + " / " + r.binder());
      row(out, "drifted / expired / repaired", r.disruptions().drifted() + " / " + r.disruptions().expired() + " / "
          + r.disruptions().repaired());
      row(out, "budget violations", r.budgetViolations());
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
      ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
      com.fasterxml.jackson.databind.node.ObjectNode figures = json.valueToTree(r);
      com.fasterxml.jackson.databind.node.ObjectNode source = figures.putObject("prices");
      source.put("region", catalogFile.region());
      source.put("catalog", catalog == null ? "bundled" : catalog.toString());
      source.put("spotRatio", s.ec2().spotPriceRatio());
      if (wholePodBound && Double.isNaN(whole)) {
        figures.putNull("finalWholePodBoundPerHour");
      } else if (wholePodBound) {
        figures.put("finalWholePodBoundPerHour", Math.round(whole * 1000) / 1000.0);
      }
      out.println(json.writeValueAsString(figures));
    }
    if (!r.invariantViolations().isEmpty()) {
      System.err.println("flotilla simulate: " + r.invariantViolations().size() + " invariant violation(s), the first "
          + r.invariantViolations().getFirst().invariant() + " at " + r.invariantViolations().getFirst().at() + " s: "
          + r.invariantViolations().getFirst().detail());
      return CommandFailure.FAILED;
    }
    return 0;
  }

  /** Which region's prices a run uses, and from where. */
  static String prices(dev.flotilla.catalog.CatalogFile file, Path from, double spotRatio) {
    return String.format(Locale.ROOT, "%s on-demand from %s, spot at %.2f of them", file.region(),
        from == null ? "the bundled catalog" : from.toString(), spotRatio);
  }

  /** Both runs, Flotilla's and the other autoscaler's, on the same scenario and seed. */
  private int compare(Scenario s, dev.flotilla.catalog.CatalogFile catalogFile, String prices) throws Exception {
    boolean table = output.equals("table");
    PrintStream out = System.out;
    if (table) {
      out.println("prices: " + prices);
    }
    Simulation flotilla = new Simulation(s, listener(out, table, "flotilla "), catalogFile);
    SimulationResult mine = flotilla.run();
    // Karpenter is one controller process: the faults that model Lambda's at-least-once, concurrent delivery are not
    // its world, so its run has the scenario's events without them
    Simulation karpenter = new Simulation(s.withFaults(Faults.NONE), listener(out, table, "karpenter "),
        catalogFile, KarpenterAutoscaler.factory());
    SimulationResult theirs = karpenter.run();
    Comparison comparison = new Comparison("karpenter", mine, theirs);
    if (report != null) {
      SimulationReport.writeComparison(report, s, comparison, flotilla.samples(), karpenter.samples());
    }
    if (table) {
      out.println();
      out.println("scenario " + s.name() + ": " + clock(s.duration()) + " simulated, Flotilla's decisions in "
          + mine.wallMillis() + " ms, Karpenter's in " + theirs.wallMillis() + " ms"
          + (s.faults().any() ? " (faults in Flotilla's run only)" : ""));
      out.print(comparison.table());
      if (report != null) {
        row(out, "report", report.toString());
      }
    } else {
      java.util.Map<String, SimulationResult> both = new java.util.LinkedHashMap<>();
      both.put("flotilla", mine);
      both.put("karpenter", theirs);
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(both));
    }
    if (!mine.invariantViolations().isEmpty() || !theirs.invariantViolations().isEmpty()) {
      System.err.println("flotilla simulate: invariant violations (flotilla " + mine.invariantViolations().size()
          + ", karpenter " + theirs.invariantViolations().size() + ")");
      return CommandFailure.FAILED;
    }
    return 0;
  }

  /** Prints a run's decisions as they happen (tables only) and a progress bar on a terminal. */
  private static Simulation.Listener listener(PrintStream out, boolean table, String prefix) {
    boolean terminal = System.console() != null && table;
    return new Simulation.Listener() {
      @Override
      public void notable(Duration at, String line) {
        if (table) {
          if (terminal) {
            System.err.print("\r\033[K");
          }
          out.println("[" + clock(at) + "] " + prefix + line);
        }
      }

      @Override
      public void progress(Duration at, Duration total) {
        if (terminal) {
          int width = 40;
          int done = (int) (width * at.toMillis() / Math.max(1, total.toMillis()));
          System.err.print("\r[" + "#".repeat(done) + " ".repeat(width - done) + "] " + prefix + clock(at) + " / "
              + clock(total));
          if (at.equals(total)) {
            System.err.println();
          }
        }
      }
    };
  }

  private static void row(PrintStream out, String name, Object value) {
    out.printf(Locale.ROOT, "  %-34s %s%n", name, value);
  }

  static String clock(Duration d) {
    return String.format(Locale.ROOT, "%02d:%02d:%02d", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
  }
}
