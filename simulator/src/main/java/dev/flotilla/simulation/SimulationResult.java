package dev.flotilla.simulation;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * What a run measured, and with faults what was injected ({@code faultsInjected}, by kind) and which invariants
 * broke ({@code invariantViolations}, each with the first moment and what broke it). {@code doubleLaunches} counts instances launched for a claim that already had one and pods
 * reserved by two live claims at once, as the simulated EC2 and the claim store saw them. {@code podsSecondRound}
 * counts pods planned by a launch while pending and planned again by another (they waited for a second round);
 * {@code consolidationRelaunches} pods created in place of pods a consolidation drain evicted that a launch was then
 * planned for; {@code podsNominated} pods the lifecycle's Nominate commands nominated; {@code binder} the scheduler's
 * scoring profile. {@code disruptions} counts the nodes drift, expiry and repair replaced; {@code budgetViolations}
 * the moments a voluntary disruption began while more of its pool's nodes were being disrupted than the pool's
 * active budgets for its reason allowed. {@code finalPlanPerHour} is what the scheduler's plan of the pods running at
 * the end, on new nodes, costs: the fleet above it is what consolidation left (nodes spread by the cluster's
 * scheduler, replaced one move at a time), the plan above the bound what packing and topology cost.
 */
@JsonPropertyOrder({"pods", "podsRunningAtEnd", "podsPendingAtEnd", "pendingSeconds", "instancesLaunched",
    "instancesTerminated", "doubleLaunches", "costUsd", "finalPricePerHour", "finalLowerBoundPerHour",
    "finalPlanPerHour", "interruptions", "consolidationActions", "nodesAtPeak", "podsSecondRound", "consolidationRelaunches",
    "podsNominated", "binder", "disruptions", "budgetViolations", "simulatedSeconds", "wallMillis",
    "faultsInjected", "invariantViolations"})
public record SimulationResult(int pods, int podsRunningAtEnd, int podsPendingAtEnd, PendingSeconds pendingSeconds,
    int instancesLaunched, int instancesTerminated, int doubleLaunches, double costUsd, double finalPricePerHour,
    double finalLowerBoundPerHour, double finalPlanPerHour, int interruptions, int consolidationActions, int nodesAtPeak,
    int podsSecondRound, int consolidationRelaunches, int podsNominated, String binder, long simulatedSeconds,
    long wallMillis, Map<String, Integer> faultsInjected, List<Invariants.Violation> invariantViolations,
    Disruptions disruptions, int budgetViolations) {

  /** Nodes whose replacement began for each lifetime reason: drift, expiry, repair. */
  @JsonPropertyOrder({"drifted", "expired", "repaired"})
  public record Disruptions(int drifted, int expired, int repaired) {}

  public SimulationResult {
    faultsInjected = Map.copyOf(faultsInjected);
    invariantViolations = List.copyOf(invariantViolations);
  }

  /** How long pods waited from creation to binding (pods still pending count until the end). */
  @JsonPropertyOrder({"p50", "p99", "max"})
  public record PendingSeconds(double p50, double p99, double max) {
    static PendingSeconds of(List<Double> seconds) {
      if (seconds.isEmpty()) {
        return new PendingSeconds(0, 0, 0);
      }
      double[] s = seconds.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      return new PendingSeconds(round(pick(s, 0.50)), round(pick(s, 0.99)), round(s[s.length - 1]));
    }

    private static double pick(double[] sorted, double q) {
      return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    }
  }

  static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
