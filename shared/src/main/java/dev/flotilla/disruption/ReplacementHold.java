package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * A consolidation's replacement keeps its startup taint until the nodes it replaces drain. Ready and empty, it would
 * take the pods another drain evicts meanwhile (the cluster's scheduler prefers the least allocated node), and the
 * pods it was launched for would then have nowhere to go: the replace is abandoned and its replacement runs empty.
 * The consolidation lifts the taint when it drains the nodes, or gives the replace up; {@link #LIMIT} after the
 * replacement's launch the taint goes whatever happened (the garbage collector's next pass), so no node is held back
 * for good.
 */
public final class ReplacementHold {

  public static final Duration LIMIT = Duration.ofMinutes(10);

  private ReplacementHold() {}

  /** Whether {@code claim} keeps its startup taint now; {@code claims} reads a claim by id (null when gone). */
  public static boolean holds(Claim claim, Function<String, Claim> claims, Instant now) {
    if (claim.replaces().isEmpty() || !claim.state().live()
        || !DisruptionReason.Underutilized.name().equals(claim.annotations().get(Claim.Annotations.REPLACING_FOR))
        || claim.createdAt() != null && !claim.createdAt().plus(LIMIT).isAfter(now)) {
      return false;
    }
    return claim.replaces().stream().map(claims).anyMatch(old -> old != null && old.state().live()
        && old.state() != ClaimState.Draining);
  }
}
