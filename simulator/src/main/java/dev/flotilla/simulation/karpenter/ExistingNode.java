package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A node the scheduling simulation may put pods on before it plans a new one: a ready node, or a NodeClaim in flight
 * whose node has not joined yet (Karpenter's {@code existingNodes} hold both). Its labels, zone and instance type are
 * known; what it has left is its allocatable less the pods on it or reserved for it.
 *
 * @param inFlight whether the node has not joined yet: pods placed on it are reserved for its claim
 */
final class ExistingNode {

  final String claimId;
  final String nodeName;
  final String nodePool;
  final Map<String, String> labels;
  final List<Taint> taints;
  final Resources allocatable;
  final boolean inFlight;
  final List<PendingPod> pods = new ArrayList<>();
  final List<PendingPod> added = new ArrayList<>();
  Resources used;

  ExistingNode(String claimId, String nodeName, String nodePool, Map<String, String> labels, List<Taint> taints,
      Resources allocatable, boolean inFlight, List<PendingPod> pods) {
    this.claimId = claimId;
    this.nodeName = nodeName;
    this.nodePool = nodePool;
    this.labels = Map.copyOf(labels);
    this.taints = List.copyOf(taints);
    this.allocatable = allocatable;
    this.inFlight = inFlight;
    this.pods.addAll(pods);
    this.used = pods.stream().map(PendingPod::requests).reduce(Resources.NONE, Resources::plus);
  }

  String zone() {
    return labels.get(WellKnownLabels.ZONE);
  }

  /** Adds the pod if it fits here under the constraints in force and the zone {@code spread} allows. */
  boolean add(Preferences pod, ZoneSpread spread) {
    PendingPod p = pod.original();
    if (!p.requests().fitsIn(allocatable.minus(used)) || !PodRules.admits(pod, taints, pods)) {
      return false;
    }
    for (Requirement r : PodRules.requirements(pod)) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    if (!p.volumeZones().isEmpty() && !p.volumeZones().contains(zone())) {
      return false;
    }
    if (!spread.allows(pod, zone())) {
      return false;
    }
    pods.add(p);
    added.add(p);
    used = used.plus(p.requests());
    spread.record(p, zone());
    return true;
  }
}
