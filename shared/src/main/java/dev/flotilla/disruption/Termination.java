package dev.flotilla.disruption;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.nodepool.NodePool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Starts and restarts a node's drain, whatever disrupts it. The claim moves to Draining (conditionally: two passes
 * never drain one node twice) noting why and, when its pool has a {@code terminationGracePeriod}, when the drain
 * must be over; that moment is fixed at the drain's start, as Karpenter measures it. A drain that reaches it is
 * forced: the forwarder deletes the pods budgets or do-not-disrupt still hold, and the node goes.
 */
public final class Termination {

  /** How long one drain command may take before the forwarder reports it failed and it is asked for again. */
  public static final Duration DRAIN_DEADLINE = Duration.ofMinutes(10);

  private final ClaimStore store;
  private final CommandQueue commands;
  private final Clock clock;

  public Termination(ClaimStore store, CommandQueue commands, Clock clock) {
    this.store = store;
    this.commands = commands;
    this.clock = clock;
  }

  /**
   * Drains the claim's node for {@code reason}; false when it has no node or another writer moved the claim first.
   *
   * @param grace how long the drain may be held before it is forced; null: as long as it takes
   */
  public boolean begin(Claim claim, DisruptionReason reason, Duration grace, String why) {
    if (claim.nodeName() == null) {
      return false;
    }
    Instant now = clock.instant();
    Map<String, String> notes = new java.util.LinkedHashMap<>();
    notes.put(Claim.Annotations.DISRUPTION_REASON, reason.name());
    if (grace != null) {
      notes.put(Claim.Annotations.TERMINATION_DEADLINE, now.plus(grace).toString());
    }
    Claim draining;
    try {
      draining = store.transition(claim, claim.moved(ClaimState.Draining, now).annotated(notes));
    } catch (ClaimStore.StaleClaimException raced) {
      return false;
    }
    commands.send(List.of(command(draining, why)));
    return true;
  }

  /** The grace of a claim's pool, or none when the pool is gone. */
  public static Duration grace(NodePool pool) {
    return pool == null ? null : pool.lifetime().terminationGracePeriod();
  }

  /** Asks again for a drain that did not finish by its command's deadline, keeping the deadline it started with. */
  public boolean retry(Claim draining, String why) {
    try {
      Claim again = store.transition(draining, draining.moved(ClaimState.Draining, clock.instant()));
      commands.send(List.of(command(again, why)));
      return true;
    } catch (ClaimStore.StaleClaimException raced) {
      return false;
    }
  }

  /** The drain for this claim now: up to the default deadline, or to the grace deadline, forced, if that is sooner. */
  private Command command(Claim claim, String why) {
    Instant now = clock.instant();
    Instant deadline = now.plus(DRAIN_DEADLINE);
    String bound = claim.annotations().get(Claim.Annotations.TERMINATION_DEADLINE);
    if (bound != null) {
      Instant graceEnds = Instant.parse(bound);
      if (!graceEnds.isAfter(deadline)) {
        return Command.forcedDrain(claim.nodeName(), claim.id(), graceEnds.isBefore(now) ? now : graceEnds, why);
      }
    }
    return Command.of(Command.Kind.Drain, claim.nodeName(), claim.id(), deadline, why);
  }
}
