package dev.flotilla.scheduling;

import java.util.List;

/**
 * What the scheduler decided: the nodes to launch, the pods that fit in-flight claims' spare room, the pods it could
 * not place, the plan's price, and the fractional
 * lower bound (the cheapest fleet if pods could be split across nodes) to judge it by.
 *
 * @param zoneBoundPerHour the same bound with each share zone topology pins on the shapes its zones sell: what a plan
 *                         that keeps those zones costs at least for the pods it puts on new nodes
 *                         ({@code lowerBoundPerHour} where none is pinned or pods fell back to another NodePool)
 * @param poolFallbacks pods a NodePool's limits turned away and the pool they were planned on instead, with why
 */
public record Plan(
    List<NodeClaim> nodeClaims,
    List<InFlightPlacement> inFlightPlacements,
    List<Unschedulable> unschedulable,
    double totalPricePerHour,
    double lowerBoundPerHour,
    double zoneBoundPerHour,
    long solveMillis,
    List<PoolFallback> poolFallbacks) {

  public Plan {
    nodeClaims = List.copyOf(nodeClaims);
    inFlightPlacements = List.copyOf(inFlightPlacements);
    unschedulable = List.copyOf(unschedulable);
    poolFallbacks = poolFallbacks == null ? List.of() : List.copyOf(poolFallbacks);
  }

  /** Pods placed on new nodes and in in-flight claims' spare room. */
  public int placedPods() {
    return nodeClaims.stream().mapToInt(c -> c.pods().size()).sum()
        + inFlightPlacements.stream().mapToInt(p -> p.pods().size()).sum();
  }

  /**
   * A digest of everything the plan decides (claims with their ranked types and pods, in-flight placements,
   * unschedulable pods, fallbacks, price and bound) but not how long it took: plans alike in all of that have equal
   * fingerprints, so a change meant to leave behaviour alone can be checked against the plans of before.
   */
  public String fingerprint() {
    String text = nodeClaims + "|" + inFlightPlacements + "|" + unschedulable + "|" + poolFallbacks + "|"
        + totalPricePerHour + "|" + lowerBoundPerHour;
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(digest, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Plan price over the bound; 1.0 is as cheap as any fleet could be. */
  public double costRatio() {
    return lowerBoundPerHour <= 0 ? 1.0 : totalPricePerHour / lowerBoundPerHour;
  }
}
