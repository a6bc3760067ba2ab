package dev.flotilla.scheduling;

import java.util.List;

/**
 * What the scheduler decided: the nodes to launch, the pods that fit in-flight claims' spare room, the pods it could
 * not place, the plan's price, and the fractional
 * lower bound (the cheapest fleet if pods could be split across nodes) to judge it by.
 */
public record Plan(
    List<NodeClaim> nodeClaims,
    List<InFlightPlacement> inFlightPlacements,
    List<Unschedulable> unschedulable,
    double totalPricePerHour,
    double lowerBoundPerHour,
    long solveMillis) {

  public Plan {
    nodeClaims = List.copyOf(nodeClaims);
    inFlightPlacements = List.copyOf(inFlightPlacements);
    unschedulable = List.copyOf(unschedulable);
  }

  /** Pods placed on new nodes and in in-flight claims' spare room. */
  public int placedPods() {
    return nodeClaims.stream().mapToInt(c -> c.pods().size()).sum()
        + inFlightPlacements.stream().mapToInt(p -> p.pods().size()).sum();
  }

  /** Plan price over the bound; 1.0 is as cheap as any fleet could be. */
  public double costRatio() {
    return lowerBoundPerHour <= 0 ? 1.0 : totalPricePerHour / lowerBoundPerHour;
  }
}
