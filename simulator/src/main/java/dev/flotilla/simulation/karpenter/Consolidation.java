package dev.flotilla.simulation.karpenter;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Karpenter's consolidation decision for a set of candidates (kubernetes-sigs/karpenter
 * {@code disruption/consolidation.go}, {@code computeConsolidation}, and {@code multinodeconsolidation.go},
 * {@code singlenodeconsolidation.go}): the candidates' pods are scheduled on the rest of the cluster; if all fit with
 * no new node the candidates are deleted; with exactly one new NodeClaim they are replaced by it, limited to the
 * instance types cheaper than the candidates together. Spot candidates are replaced by spot only (the
 * SpotToSpotConsolidation feature gate taken as on), and a single spot node only when at least
 * {@link #SPOT_TO_SPOT_MIN_TYPES} cheaper types exist, of which the 15 cheapest are launched.
 */
final class Consolidation {

  /** {@code MinInstanceTypesForSpotToSpotConsolidation}. */
  static final int SPOT_TO_SPOT_MIN_TYPES = 15;
  /** Multi-node consolidation looks at this many candidates at most. */
  static final int MULTI_NODE_MAX = 100;

  /** The cluster as one pass sees it. */
  record Snapshot(List<Claim> claims, Map<String, NodeState> nodes, List<NodePool> pools, OfferingCatalog catalog,
      List<PendingPod> daemonSets, Instant now) {}

  private final KarpenterScheduler scheduler = new KarpenterScheduler();

  /** What scheduling the candidates' pods elsewhere gives: a delete, one replacement's draft, or nothing. */
  record Simulated(boolean allScheduled, List<NodeClaimDraft> newClaims) {}

  Simulated simulate(Snapshot s, List<DisruptionCandidate> candidates) {
    Set<String> leaving = new HashSet<>();
    candidates.forEach(c -> leaving.add(c.claim().id()));
    s.claims().stream().filter(c -> c.state().live()).forEach(c -> leaving.addAll(c.replaces()));
    List<Claim> staying = s.claims().stream().filter(c -> c.state().live() && !leaving.contains(c.id())).toList();
    List<ExistingNode> existing = ClusterView.nodes(staying, s.nodes(), s.pools(), s.catalog(), s.daemonSets(),
        leaving);
    List<PendingPod> pods = candidates.stream().flatMap(c -> c.reschedulable().stream()).toList();
    KarpenterScheduler.Result r = scheduler.solve(new KarpenterScheduler.Input(pods, existing, s.pools(),
        s.catalog(), s.daemonSets(), Provisioner.poolUsage(staying, s.catalog())));
    return new Simulated(r.allScheduled(), r.newClaims());
  }

  /** {@code computeConsolidation}: the command for these candidates, if removing them pays. */
  Optional<DisruptionCommand> compute(Snapshot s, List<DisruptionCandidate> candidates,
      DisruptionCommand.Method method) {
    Simulated sim = simulate(s, candidates);
    if (!sim.allScheduled() || sim.newClaims().size() > 1) {
      return Optional.empty();
    }
    if (sim.newClaims().isEmpty()) {
      return Optional.of(new DisruptionCommand(method, candidates, null, s.now()));
    }
    NodeClaimDraft draft = sim.newClaims().getFirst();
    double candidatePrice = candidates.stream().mapToDouble(DisruptionCandidate::price).sum();
    boolean allSpot = candidates.stream().allMatch(DisruptionCandidate::spot);
    CapacityType ct = LaunchOrder.capacityType(draft.types, draft.zones, draft.capacityTypes);
    List<InstanceTypeOption> cheaper = LaunchOrder.byPrice(draft.types, draft.zones, ct).stream()
        .filter(t -> t.pricePerHour() < candidatePrice).toList();
    if (allSpot && draft.capacityTypes.contains(CapacityType.SPOT)) {
      if (ct != CapacityType.SPOT || cheaper.isEmpty()) {
        return Optional.empty();
      }
      if (candidates.size() == 1) {
        // fewer than 15 cheaper types: price-capacity-optimized could walk the node down the price ladder one
        // consolidation at a time; with 15, the 15 cheapest are sent, so the node launched is one of them
        if (cheaper.size() < SPOT_TO_SPOT_MIN_TYPES) {
          return Optional.empty();
        }
        cheaper = cheaper.subList(0, SPOT_TO_SPOT_MIN_TYPES);
      }
    } else if (cheaper.isEmpty()) {
      return Optional.empty();
    }
    if (method == DisruptionCommand.Method.MULTI_NODE) {
      cheaper = withoutSameType(cheaper, candidates);
      if (cheaper.isEmpty()) {
        return Optional.empty();
      }
    }
    return Optional.of(new DisruptionCommand(method, candidates, LaunchOrder.request(draft, ct, cheaper), s.now()));
  }

  /**
   * {@code filterOutSameInstanceType}: a replacement that could be one of the candidates' own types must be cheaper
   * than the cheapest such candidate, or deleting the others alone would do.
   */
  static List<InstanceTypeOption> withoutSameType(List<InstanceTypeOption> options,
      List<DisruptionCandidate> candidates) {
    double max = Double.MAX_VALUE;
    for (InstanceTypeOption o : options) {
      for (DisruptionCandidate c : candidates) {
        if (o.name().equals(c.claim().instanceType())) {
          max = Math.min(max, c.price());
        }
      }
    }
    double limit = max;
    return options.stream().filter(o -> o.pricePerHour() < limit).toList();
  }

  /**
   * {@code firstNConsolidationOption}: a binary search for the longest prefix of the candidates (cheapest to disrupt
   * first, at least two, at most {@link #MULTI_NODE_MAX}) that can go at once.
   */
  Optional<DisruptionCommand> multiNode(Snapshot s, List<DisruptionCandidate> candidates) {
    if (candidates.size() < 2) {
      return Optional.empty();
    }
    int min = 1;
    int max = Math.min(candidates.size(), MULTI_NODE_MAX);
    if (candidates.size() <= max) {
      max = candidates.size() - 1;
    }
    Optional<DisruptionCommand> last = Optional.empty();
    while (min <= max) {
      int mid = (min + max) / 2;
      Optional<DisruptionCommand> cmd = compute(s, new ArrayList<>(candidates.subList(0, mid + 1)),
          DisruptionCommand.Method.MULTI_NODE);
      if (cmd.isPresent()) {
        last = cmd;
        min = mid + 1;
      } else {
        max = mid - 1;
      }
    }
    return last;
  }

  /** {@code singlenodeconsolidation.go}: the first candidate, cheapest to disrupt first, whose removal pays. */
  Optional<DisruptionCommand> singleNode(Snapshot s, List<DisruptionCandidate> candidates) {
    for (DisruptionCandidate c : candidates) {
      Optional<DisruptionCommand> cmd = compute(s, List.of(c), DisruptionCommand.Method.SINGLE_NODE);
      if (cmd.isPresent()) {
        return cmd;
      }
    }
    return Optional.empty();
  }
}
