package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.interruption.InterruptionService;
import dev.flotilla.model.CapacityType;
import dev.flotilla.provisioning.LaunchRecords;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Karpenter's interruption controller (aws/karpenter-provider-aws {@code pkg/controllers/interruption}): a spot
 * warning marks the offering unavailable and deletes the NodeClaim, whose node is then drained and terminated; a
 * scheduled change or a stopping or terminated instance deletes it too; a rebalance recommendation is only recorded.
 * No replacement is launched ahead: the evicted pods go pending and the provisioning loop launches for them then.
 */
final class KarpenterInterruption {

  /** Karpenter's unavailable-offerings cache keeps an interrupted spot offering off the menu this long. */
  static final Duration UNAVAILABLE_FOR = Duration.ofMinutes(3);

  private final ClaimStore store;
  private final CommandQueue commands;
  private final LaunchRecords launches;
  private final Clock clock;

  KarpenterInterruption(ClaimStore store, CommandQueue commands, LaunchRecords launches, Clock clock) {
    this.store = store;
    this.commands = commands;
    this.launches = launches;
    this.clock = clock;
  }

  InterruptionService.Outcome handle(InterruptionEvent event) {
    List<InterruptionService.Handled> handled = new ArrayList<>();
    for (String instanceId : event.instanceIds()) {
      Optional<Claim> owned = launches.claimOf(instanceId).filter(c -> c.state().live());
      if (owned.isEmpty()) {
        handled.add(new InterruptionService.Handled(instanceId, null, null, "ignored", "not a NodeClaim's instance",
            List.of(), 0));
        continue;
      }
      Claim claim = owned.get();
      handled.add(switch (event) {
        case InterruptionEvent.SpotInterruption s -> {
          if (claim.capacityType() == CapacityType.SPOT && claim.instanceType() != null && claim.zone() != null) {
            store.markUnavailable(new Offering.Key(claim.instanceType(), claim.zone(), CapacityType.SPOT),
                "spot interruption of " + instanceId, UNAVAILABLE_FOR);
          }
          yield delete(claim, s.reclaimAt(), "spot interruption warning", false);
        }
        case InterruptionEvent.ScheduledChange h -> delete(claim, h.start(), "scheduled " + h.eventTypeCode(), false);
        case InterruptionEvent.StateChange c -> c.leaving()
            ? delete(claim, clock.instant().plus(Duration.ofMinutes(2)), "instance is " + c.state(), true)
            : new InterruptionService.Handled(instanceId, claim.id(), claim.nodeName(), "none",
                "instance is " + c.state(), List.of(), 0);
        case InterruptionEvent.RebalanceRecommendation r -> new InterruptionService.Handled(instanceId, claim.id(),
            claim.nodeName(), "recorded", "rebalance recommendation: Karpenter only records it", List.of(), 0);
      });
    }
    return new InterruptionService.Outcome(event.eventId(), event.kind(), handled);
  }

  /**
   * Deletes the NodeClaim: its node is drained (the termination controller's cordon and drain) and its instance
   * terminated once drained; an instance already gone has its node deleted and its claim closed at once.
   */
  private InterruptionService.Handled delete(Claim claim, java.time.Instant deadline, String why, boolean gone) {
    Claim draining = claim;
    if (claim.state() != ClaimState.Draining) {
      try {
        draining = store.transition(claim, claim.moved(ClaimState.Draining, clock.instant()));
      } catch (ClaimStore.StaleClaimException raced) {
        return new InterruptionService.Handled(claim.instanceId(), claim.id(), claim.nodeName(), "none",
            why + ": the NodeClaim moved meanwhile", List.of(), 0);
      }
    }
    String node = claim.nodeName() != null ? claim.nodeName() : nodeOf(claim);
    if (node != null) {
      List<Command> sent = new ArrayList<>(List.of(Command.of(Command.Kind.Drain, node, claim.id(), deadline, why)));
      if (gone) {
        sent.add(Command.of(Command.Kind.DeleteNode, node, claim.id(), deadline, why));
      }
      commands.send(sent);
    }
    if (gone) {
      try {
        store.transition(draining, draining.moved(ClaimState.Terminated, clock.instant()));
      } catch (ClaimStore.StaleClaimException raced) {
        // the node's deletion closed it meanwhile
      }
    }
    return new InterruptionService.Handled(claim.instanceId(), claim.id(), node, gone ? "drain-delete-close"
        : "drain", why, List.of(), 0);
  }

  private String nodeOf(Claim claim) {
    return store.nodeStates().values().stream().map(NodeState::parse)
        .filter(s -> claim.instanceId() != null && claim.instanceId().equals(s.instanceId()))
        .map(NodeState::node).findFirst().orElse(null);
  }
}
