package dev.flotilla.simulation.karpenter;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import java.util.Comparator;
import java.util.List;

/**
 * A node disruption may remove (kubernetes-sigs/karpenter {@code disruption/types.go}, {@code Candidate}): its claim,
 * its node as mirrored, its NodePool, and its disruption cost, which orders candidates cheapest to disrupt first.
 * Karpenter's cost is the sum of each pod's eviction cost (1, moved by priority and deletion cost, which these pods do
 * not set) times the share of the node's lifetime left (1 without expireAfter): the number of pods to move.
 */
record DisruptionCandidate(Claim claim, NodeState state, NodePool pool) {

  /** Cheapest to disrupt first; the node's name settles ties, so that a run replays. */
  static final Comparator<DisruptionCandidate> BY_DISRUPTION_COST = Comparator
      .comparingInt(DisruptionCandidate::disruptionCost).thenComparing(c -> c.state().node());

  List<PendingPod> reschedulable() {
    return state.displaced();
  }

  int disruptionCost() {
    return reschedulable().size();
  }

  double price() {
    return Double.isNaN(claim.pricePerHour()) ? 0 : claim.pricePerHour();
  }

  boolean spot() {
    return claim.capacityType() == CapacityType.SPOT;
  }

  dev.flotilla.disruption.ConsolidationPlan.Candidate asPlanCandidate() {
    return new dev.flotilla.disruption.ConsolidationPlan.Candidate(state, claim);
  }
}
