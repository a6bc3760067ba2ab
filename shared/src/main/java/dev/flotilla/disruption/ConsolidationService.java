package dev.flotilla.disruption;

import dev.flotilla.catalog.OfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.CommandQueue;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One consolidation pass: drain the nodes whose replacements are now ready, then find one consolidation, check it
 * again against state read afresh, and start it. A delete drains the nodes (the lifecycle function terminates each
 * once its drain is done); a replace launches first and drains only when the new node is ready, on a later pass.
 * Moving a claim to Draining is conditional, so two passes never disrupt the same node twice. A drain that did not
 * finish by its deadline is asked for again on a later pass.
 */
public final class ConsolidationService {

  /** How long a consolidation drain may take before the forwarder reports it failed. */
  public static final Duration DRAIN_DEADLINE = Duration.ofMinutes(10);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConsolidationService.class);
  /** The lease a pass holds while it runs. */
  public static final String LEASE_NAME = "consolidation";
  /**
   * How long a pass's lease lasts unless it ends it first: the schedule's period, longer than the function's
   * timeout, so a killed pass holds back at most the next one.
   */
  public static final Duration LEASE = Duration.ofMinutes(1);

  /** What a pass did. */
  public record Pass(ConsolidationPlan plan, boolean started, String outcome, List<String> drained,
      List<String> replacementClaims) {}

  private final ClaimStore store;
  private final CommandQueue commands;
  private final Provisioner provisioner;
  private final OfferingSource offerings;
  private final Supplier<List<NodePool>> pools;
  private final Supplier<List<PendingPod>> daemonSets;
  private final Clock clock;
  private final Consolidator consolidator = new Consolidator();

  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Clock clock) {
    this(store, commands, provisioner, offerings, pools, List::of, clock);
  }

  /** @param daemonSets what every new node of a plan gives up to the cluster's DaemonSets */
  public ConsolidationService(ClaimStore store, CommandQueue commands, Provisioner provisioner,
      OfferingSource offerings, Supplier<List<NodePool>> pools, Supplier<List<PendingPod>> daemonSets, Clock clock) {
    this.daemonSets = daemonSets;
    this.store = store;
    this.commands = commands;
    this.provisioner = provisioner;
    this.offerings = offerings;
    this.pools = pools;
    this.clock = clock;
  }

  /**
   * One pass, unless another is running (it holds the lease): then nothing is done. The lease ends when the pass
   * does, failed or not, so a retry runs at once; a pass killed mid-way holds the next back until its lease expires.
   */
  public Pass run(String eventId) {
    Optional<ClaimStore.Lease> lease = store.tryLease(LEASE_NAME, LEASE);
    if (lease.isEmpty()) {
      String reason = "skipped: another consolidation pass is running";
      return new Pass(ConsolidationPlan.none(reason, List.of()), false, reason, List.of(), List.of());
    }
    try {
      return runHoldingLease(eventId);
    } finally {
      try {
        store.endLease(lease.get());
      } catch (RuntimeException e) {
        LOG.warn("consolidation lease not ended; it expires on its own: {}", e.getMessage());
      }
    }
  }

  private Pass runHoldingLease(String eventId) {
    // one read serves both: a retried drain is Draining before and after, which drainReplaced passes over
    List<Claim> claims = store.claims();
    retryStalledDrains(claims);
    List<String> drained = new ArrayList<>(drainReplaced(claims));
    ConsolidationPlan plan = consolidator.plan(view());
    if (plan.action() == Action.NONE) {
      return new Pass(plan, false, plan.reason(), drained, List.of());
    }
    // state may have moved while the plan was made: act only if the same plan holds on what is there now
    ConsolidationPlan again = consolidator.plan(view());
    if (again.action() != plan.action() || !again.claimIds().equals(plan.claimIds())) {
      return new Pass(plan, false, "not started: the cluster changed while it was checked (now "
          + again.action().label() + " " + again.claimIds() + ")", drained, List.of());
    }
    if (plan.replacements().isEmpty()) {
      for (Candidate c : plan.nodes()) {
        if (drain(c.claim(), "consolidation " + plan.action().label() + ": " + plan.reason())) {
          drained.add(c.state().node());
        }
      }
      return new Pass(plan, true, "draining " + plan.nodes().size() + " node(s)", drained, List.of());
    }
    List<PendingPod> displaced = plan.nodes().stream().flatMap(c -> c.state().displaced().stream()).toList();
    // exactly the nodes the plan was checked with: re-planning here could buy something else, or something dearer;
    // and each only among types that keep the replace cheaper than what it removes, whichever CreateFleet finds
    double removed = plan.nodes().stream().mapToDouble(c -> c.claim().pricePerHour()).sum();
    double planned = plan.replacements().stream().mapToDouble(NodeClaim::pricePerHour).sum();
    List<NodeClaim> bounded = new ArrayList<>();
    for (NodeClaim r : plan.replacements()) {
      // in the zone it was validated in: elsewhere, the zone spreads of the pods it takes may refuse them
      NodeClaim validated = new NodeClaim(r.nodePool(), r.zone(), List.of(r.zone()), r.capacityType(),
          r.instanceTypes(), r.pods(), r.requests(), r.allocatable());
      validated.pricedUnder(removed - (planned - r.pricePerHour())).ifPresent(bounded::add);
    }
    if (bounded.size() < plan.replacements().size()) {
      return new Pass(plan, false, "not started: no replacement type keeps the saving", drained, List.of());
    }
    Provisioner.Decision launched = provisioner.launchPlanned(eventId, bounded, displaced, plan.claimIds());
    if (launched.launched().isEmpty()) {
      return new Pass(plan, false, "replacement not launched: " + launched.failures(), drained, List.of());
    }
    return new Pass(plan, true, "replacement launched; the node(s) drain when it is ready", drained,
        launched.launched().stream().map(Claim::id).toList());
  }

  private Consolidator.View view() {
    List<NodeState> nodes = new ArrayList<>();
    store.nodeStates().values().forEach(doc -> nodes.add(NodeState.parse(doc)));
    return new Consolidator.View(nodes, store.claims(), pools.get(), offerings.catalog(), clock.instant(),
        daemonSets.get());
  }

  /** Drains the nodes whose replacement is now ready (a replace, a rebalance): the second half of a replace. */
  private List<String> drainReplaced(List<Claim> claims) {
    Map<String, Claim> byId = new HashMap<>();
    claims.forEach(c -> byId.put(c.id(), c));
    // a node replaced by several drains once every one of them is ready
    Map<String, List<Claim>> replacementsOf = new java.util.LinkedHashMap<>();
    for (Claim replacement : claims) {
      replacement.replaces().forEach(id -> replacementsOf.computeIfAbsent(id, k -> new ArrayList<>())
          .add(replacement));
    }
    List<String> drained = new ArrayList<>();
    replacementsOf.forEach((id, replacements) -> {
      Claim old = byId.get(id);
      // a replacement that failed (closed before its node was ready) abandons the replace: the node's pods would
      // have nowhere to go, so it stays, and the replacements that did come up are left for consolidation to empty
      if (old != null && old.state().live() && old.state() != ClaimState.Draining
          && replacements.stream().allMatch(r -> r.state() == ClaimState.Initialized)
          && drain(old, replacements.size() == 1 ? "replaced by claim " + replacements.getFirst().id()
              + ", whose node is ready" : "replaced by claims " + String.join(", ",
              replacements.stream().map(Claim::id).toList()) + ", whose nodes are ready")) {
        drained.add(old.nodeName());
      }
    });
    return drained;
  }

  /**
   * A drain that outlived its deadline failed (a budget held a pod): the node stays cordoned and its claim Draining,
   * and the drain is asked for again, as often as the deadline, until the budget lets the pods go.
   */
  private void retryStalledDrains(List<Claim> claims) {
    java.time.Instant stalled = clock.instant().minus(DRAIN_DEADLINE);
    for (Claim c : claims) {
      if (c.state() == ClaimState.Draining && c.nodeName() != null && c.updatedAt() != null
          && c.updatedAt().isBefore(stalled)) {
        try {
          store.transition(c, c.moved(ClaimState.Draining, clock.instant()));
        } catch (ClaimStore.StaleClaimException raced) {
          continue;
        }
        commands.send(List.of(Command.of(Command.Kind.Drain, c.nodeName(), c.id(),
            clock.instant().plus(DRAIN_DEADLINE), "drain retried: the last one did not finish in time")));
      }
    }
  }

  private boolean drain(Claim claim, String reason) {
    if (claim.nodeName() == null) {
      return false;
    }
    try {
      store.transition(claim, claim.moved(ClaimState.Draining, clock.instant()));
    } catch (ClaimStore.StaleClaimException raced) {
      return false;
    }
    commands.send(List.of(Command.of(Command.Kind.Drain, claim.nodeName(), claim.id(),
        clock.instant().plus(DRAIN_DEADLINE), reason)));
    return true;
  }
}
