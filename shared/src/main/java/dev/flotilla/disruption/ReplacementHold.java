package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * A consolidation's or drift's replacement keeps its startup taint until the nodes it replaces drain. Ready and
 * empty, it would take the pods another drain evicts meanwhile, or a scale-up's (the cluster's scheduler prefers the
 * least allocated node), and the pods it was launched for would then have nowhere to go: a consolidation's replace is
 * abandoned and its replacement runs empty; drift's node drains anyway and its pods wait for a launch of their own
 * (generated seed 87: a drift replacement Ready at a scale-up took 7 of its 157 pending web pods, and the 7 pods the
 * drain evicted then needed a new node). The pass lifts the taint when it drains the nodes, or gives the replace up;
 * {@link #LIMIT} after the replacement's launch the taint goes whatever happened (the garbage collector's next pass),
 * so no node is held back for good.
 */
public final class ReplacementHold {

  public static final Duration LIMIT = Duration.ofMinutes(10);

  private ReplacementHold() {}

  /**
   * Whether a replacement is one held for its drain: a consolidation's or drift's, whose old nodes drain in a pass's
   * second half once the cluster's scheduler would land their pods (a rebalance's, ahead of an interruption, drains
   * as soon as it is ready).
   */
  public static boolean heldForDrain(Claim replacement) {
    String reason = replacement.annotations().get(Claim.Annotations.REPLACING_FOR);
    return DisruptionReason.Underutilized.name().equals(reason) || DisruptionReason.Drifted.name().equals(reason);
  }

  /** Whether {@code claim} keeps its startup taint now; {@code claims} reads a claim by id (null when gone). */
  public static boolean holds(Claim claim, Function<String, Claim> claims, Instant now) {
    if (claim.replaces().isEmpty() || !claim.state().live() || !heldForDrain(claim)
        || claim.createdAt() != null && !claim.createdAt().plus(LIMIT).isAfter(now)) {
      return false;
    }
    return claim.replaces().stream().map(claims).anyMatch(old -> old != null && old.state().live()
        && old.state() != ClaimState.Draining);
  }
}
