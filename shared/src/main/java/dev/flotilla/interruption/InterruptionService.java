package dev.flotilla.interruption;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Acts on what EC2 and AWS Health announce for instances Flotilla owns (a live claim names them): the node is
 * drained, and its evicted pods are the provisioner's; a NodePool that replaces on rebalance gets a replacement
 * before its node goes. Instances without a claim are someone else's, reported and left alone, but for one that
 * carries Flotilla's ownership tags and is going: its node is drained (see {@link #unclaimed}).
 *
 * <p>An event may be delivered more than once, or handled again after a run was cut short; every step is safe to
 * repeat. Moving the claim to Draining happens once; the drain goes out on every repeat (the forwarder's drain is
 * idempotent), so a run cut short before the drain never loses the notice. A rebalance replacement's claims have ids
 * derived from the event, so a repeated or concurrent handling cannot launch it twice.
 */
public final class InterruptionService {

  private static final int MOVE_ATTEMPTS = 3;

  /** How long an interrupted spot offering is not tried again, as for insufficient capacity. */
  public static final Duration UNAVAILABLE_FOR = Duration.ofMinutes(3);
  /** Drains for instance-state changes get this long. */
  static final Duration STATE_CHANGE_DRAIN = Duration.ofMinutes(2);

  /** One instance's outcome: {@code action} is what was done, {@code reason} why (or why nothing was). */
  public record Handled(String instanceId, String claimId, String node, String action, String reason,
      List<String> replacementClaims, double replacementPricePerHour) {}

  /** What one event led to. */
  public record Outcome(String eventId, String kind, List<Handled> handled) {}

  private final ClaimStore store;
  private final CommandQueue commands;
  private final Provisioner provisioner;
  private final Supplier<List<NodePool>> pools;
  private final Clock clock;

  public InterruptionService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      Supplier<List<NodePool>> pools, Clock clock) {
    this.store = store;
    this.commands = commands;
    this.provisioner = provisioner;
    this.pools = pools;
    this.clock = clock;
  }

  public Outcome handle(InterruptionEvent event) {
    List<Handled> handled = new ArrayList<>();
    for (String instanceId : event.instanceIds()) {
      Optional<Claim> owned = provisioner.claimOf(instanceId).filter(c -> c.state().live());
      if (owned.isEmpty()) {
        handled.add(unclaimed(event, instanceId));
        continue;
      }
      handled.add(switch (event) {
        case InterruptionEvent.SpotInterruption s -> spotInterruption(s, owned.get());
        case InterruptionEvent.RebalanceRecommendation r -> rebalance(r, owned.get());
        case InterruptionEvent.StateChange c -> stateChange(c, owned.get());
        case InterruptionEvent.ScheduledChange h -> scheduledChange(h, owned.get());
      });
    }
    return new Outcome(event.eventId(), event.kind(), handled);
  }

  /**
   * An instance no live claim records. Most are someone else's, and are left alone. One that carries Flotilla's
   * ownership tags was launched for a claim that is closed: two invocations resumed the same launch, one's CreateFleet
   * failed and closed the claim, the other's got the instance under the claim's client token and died before
   * recording it. Its node runs pods until the garbage collector ends it, so when it is going and EC2 still lists it
   * (a spot warning, a scheduled change, a stop) its node is drained, and a reclaimed spot offering is marked
   * unavailable, as for a claim's; a fault schedule of waves and a spot storm left such a node's pods undrained past
   * the warning.
   */
  private Handled unclaimed(InterruptionEvent event, String instanceId) {
    Instant deadline = switch (event) {
      case InterruptionEvent.SpotInterruption s -> s.reclaimAt();
      case InterruptionEvent.ScheduledChange h -> h.start();
      case InterruptionEvent.StateChange c -> c.leaving() ? clock.instant().plus(STATE_CHANGE_DRAIN) : null;
      case InterruptionEvent.RebalanceRecommendation r -> null;
    };
    if (deadline == null) {
      return new Handled(instanceId, null, null, "ignored", "no live claim records it: not an instance Flotilla owns,"
          + " or one whose claim is closed, and nothing says it is going", List.of(), 0);
    }
    Optional<dev.flotilla.cloud.CloudInstance> instance = provisioner.ownedInstance(instanceId);
    if (instance.isEmpty()) {
      return new Handled(instanceId, null, null, "ignored", "not an instance Flotilla owns", List.of(), 0);
    }
    dev.flotilla.cloud.CloudInstance owned = instance.get();
    if (event instanceof InterruptionEvent.SpotInterruption) {
      markReclaimed(owned.instanceType(), owned.zone(), instanceId);
    }
    String claimId = owned.tags().get(dev.flotilla.model.WellKnownLabels.CLAIM);
    Optional<String> node = stateOf(store.nodeStates(), instanceId).map(NodeState::node);
    String why = event.kind() + " of an instance Flotilla launched (" + (claimId != null ? "claim " + claimId
        : "a group of claims") + ") that no live claim records";
    node.ifPresent(n -> commands.send(List.of(Command.of(Command.Kind.Drain, n, claimId, deadline, why))));
    return new Handled(instanceId, claimId, node.orElse(null), node.isPresent() ? "drain" : "none",
        why + (node.isPresent() ? "; its evicted pods go to the provisioner" : "; no node registered for it"),
        List.of(), 0);
  }

  private Handled spotInterruption(InterruptionEvent.SpotInterruption event, Claim claim) {
    if (claim.capacityType() == CapacityType.SPOT) {
      markReclaimed(claim.instanceType(), claim.zone(), claim.instanceId());
    }
    return drain(claim, event.reclaimAt(), "spot interruption warning");
  }

  /** The reclaimed spot offering is not tried again for {@link #UNAVAILABLE_FOR}, where its type and zone are known. */
  private void markReclaimed(String instanceType, String zone, String instanceId) {
    if (instanceType != null && zone != null) {
      store.markUnavailable(new Offering.Key(instanceType, zone, CapacityType.SPOT), "spot interruption of "
          + instanceId, UNAVAILABLE_FOR);
    }
  }

  private Handled scheduledChange(InterruptionEvent.ScheduledChange event, Claim claim) {
    return drain(claim, event.start(), "scheduled " + event.eventTypeCode());
  }

  private Handled rebalance(InterruptionEvent.RebalanceRecommendation event, Claim claim) {
    boolean optedIn = pools.get().stream().filter(p -> p.name().equals(claim.nodePool())).findFirst()
        .map(p -> p.disruption().replaceOnRebalance()).orElse(false);
    if (!optedIn) {
      return handled(claim, "recorded", "rebalance recommendation; NodePool " + claim.nodePool()
          + " does not replace on rebalance", null);
    }
    boolean alreadyReplacing = store.claims().stream()
        .anyMatch(c -> c.state().live() && c.replaces().contains(claim.id()));
    if (alreadyReplacing || claim.state() == ClaimState.Draining) {
      return handled(claim, "none", "a replacement is already on its way", null);
    }
    // the node stays until its replacement is ready; consolidation's next pass then drains it. The replacement's
    // claims are written conditionally under ids derived from the event: a delivery racing this one launches nothing
    Provisioner.Decision replacement = provisioner.replaceOnce(event.eventId(),
        state(claim).map(NodeState::displaced).orElse(List.of()), List.of(claim.id()));
    if (replacement.launched().isEmpty() && !replacement.failures().isEmpty()) {
      return handled(claim, "none", "rebalance recommendation; replacement not launched: "
          + String.join("; ", replacement.failures()), null);
    }
    return handled(claim, "replace", "rebalance recommendation; NodePool " + claim.nodePool()
        + " replaces ahead of interruption", replacement);
  }

  private Handled stateChange(InterruptionEvent.StateChange event, Claim claim) {
    if (!event.leaving()) {
      return handled(claim, "none", "instance is " + event.state(), null);
    }
    Claim closing = claim;
    if (claim.state() != ClaimState.Draining) {
      try {
        closing = store.transition(claim, claim.moved(ClaimState.Draining, clock.instant()));
      } catch (ClaimStore.StaleClaimException raced) {
        return handled(claim, "none", "another event moved the claim first", null);
      }
    }
    String node = claim.nodeName() != null ? claim.nodeName() : state(claim).map(NodeState::node).orElse(null);
    if (node != null) {
      Instant deadline = clock.instant().plus(STATE_CHANGE_DRAIN);
      String reason = "instance " + claim.instanceId() + " is " + event.state();
      commands.send(List.of(Command.of(Command.Kind.Drain, node, claim.id(), deadline, reason),
          Command.of(Command.Kind.DeleteNode, node, claim.id(), deadline, reason)));
    }
    try {
      store.transition(closing, closing.moved(ClaimState.Terminated, clock.instant()));
    } catch (ClaimStore.StaleClaimException raced) {
      // the lifecycle function closed it meanwhile (its node was deleted)
    }
    return new Handled(claim.instanceId(), claim.id(), node, node == null ? "close" : "drain-delete-close",
        "instance is " + event.state(), List.of(), 0);
  }

  /**
   * Drains the node; its evicted pods go to the provisioner as any pending pods, as Karpenter's interruption
   * controller leaves them. Room launched for each node's pods when its warning came bought a small node per
   * interrupted node: a storm's nodes, drained within the same seconds, reach the provisioner in one batch and are
   * planned together, and pods the cluster's scheduler places in room already there need none. The claim's move to
   * Draining happens once; a claim already Draining (this event again, after a run cut short or a duplicate
   * delivery) has its drain asked for again, which costs an idempotent drain at most.
   */
  private Handled drain(Claim seen, Instant deadline, String why) {
    Claim claim = seen;
    boolean already = claim.state() == ClaimState.Draining;
    Claim draining = claim;
    // another writer may move the claim meanwhile (a node event, a reservation released): read it again and go on,
    // for a warning's drain is not to be lost to a version bump
    for (int attempt = 1; !already; attempt++) {
      try {
        draining = store.transition(claim, claim.moved(ClaimState.Draining, clock.instant()));
        break;
      } catch (ClaimStore.StaleClaimException raced) {
        Optional<Claim> now = store.claim(claim.id()).filter(c -> c.state().live());
        if (now.isEmpty() || attempt == MOVE_ATTEMPTS) {
          return handled(claim, "none", why + ": another event moved the claim first", null);
        }
        claim = now.get();
        already = claim.state() == ClaimState.Draining;
        draining = claim;
      }
    }
    Optional<NodeState> state = state(draining);
    Optional<String> node = Optional.ofNullable(draining.nodeName()).or(() -> state.map(NodeState::node));
    String claimId = claim.id();
    node.ifPresent(n -> commands.send(List.of(Command.of(Command.Kind.Drain, n, claimId, deadline, why))));
    if (already) {
      return handled(draining, node.isPresent() ? "drain" : "none", why + ": already draining"
          + (node.isPresent() ? "; drain asked for again" : ""), null);
    }
    return handled(draining, node.isPresent() ? "drain" : "none", why + (node.isPresent()
        ? "; its evicted pods go to the provisioner" : "; no node registered for it yet"), null);
  }

  /** The claim's node as the mirror has it: one read of the mirror, by node name or else by instance. */
  private Optional<NodeState> state(Claim claim) {
    Map<String, String> docs = store.nodeStates();
    if (claim.nodeName() != null && docs.containsKey(claim.nodeName())) {
      return Optional.of(NodeState.parse(docs.get(claim.nodeName())));
    }
    return claim.instanceId() == null ? Optional.empty() : stateOf(docs, claim.instanceId());
  }

  /** The mirror's node of the instance, if one registered. */
  private static Optional<NodeState> stateOf(Map<String, String> docs, String instanceId) {
    return docs.values().stream().map(NodeState::parse).filter(s -> instanceId.equals(s.instanceId())).findFirst();
  }

  private static Handled handled(Claim claim, String action, String reason, Provisioner.Decision replacement) {
    return new Handled(claim.instanceId(), claim.id(), claim.nodeName(), action, reason,
        replacement == null ? List.of() : replacement.launched().stream().map(Claim::id).toList(),
        replacement == null ? 0 : replacement.addedPricePerHour());
  }
}
