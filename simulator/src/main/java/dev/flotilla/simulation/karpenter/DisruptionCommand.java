package dev.flotilla.simulation.karpenter;

import dev.flotilla.scheduling.NodeClaim;
import java.time.Instant;
import java.util.List;

/**
 * One disruption decision (kubernetes-sigs/karpenter {@code disruption/types.go}, {@code Command}): the candidates to
 * remove, the replacement to launch first (none for a delete), by which method, and when it was computed: it is acted
 * on only once it holds again {@link KarpenterDisruption#VALIDATION_TTL} later.
 */
record DisruptionCommand(Method method, List<DisruptionCandidate> candidates, NodeClaim replacement,
    Instant computedAt) {

  /** The methods in the order Karpenter's disruption controller tries them. */
  enum Method { EMPTINESS, MULTI_NODE, SINGLE_NODE }

  DisruptionCommand {
    candidates = List.copyOf(candidates);
  }

  boolean delete() {
    return replacement == null;
  }

  DisruptionCommand at(Instant when) {
    return new DisruptionCommand(method, candidates, replacement, when);
  }

  List<String> claimIds() {
    return candidates.stream().map(c -> c.claim().id()).toList();
  }

  double removedPricePerHour() {
    return candidates.stream().mapToDouble(DisruptionCandidate::price).sum();
  }
}
