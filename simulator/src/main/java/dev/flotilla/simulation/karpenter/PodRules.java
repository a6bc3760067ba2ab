package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rules a pod is checked against on one node, planned or existing, that do not depend on the instance type:
 * taints (PreferNoSchedule ones too until relaxed), hostname anti-affinity both ways, host ports and hostname spread.
 */
final class PodRules {

  private PodRules() {}

  static boolean admits(Preferences pod, List<Taint> taints, List<PendingPod> onNode) {
    return tolerated(pod, taints) && apartFrom(pod.original(), onNode) && portsFree(pod.original(), onNode)
        && hostnameSpread(pod, onNode);
  }

  static boolean tolerated(Preferences pod, List<Taint> taints) {
    for (Taint taint : taints) {
      if (taint.effect().equals("PreferNoSchedule") && pod.toleratesPreferNoSchedule()) {
        continue;
      }
      if (pod.original().tolerations().stream().noneMatch(t -> t.tolerates(taint))) {
        return false;
      }
    }
    return true;
  }

  private static boolean apartFrom(PendingPod pod, List<PendingPod> onNode) {
    for (PendingPod other : onNode) {
      if (repels(pod, other) || repels(other, pod)) {
        return false;
      }
    }
    return true;
  }

  private static boolean repels(PendingPod a, PendingPod b) {
    for (PodAffinityTerm anti : a.antiAffinity()) {
      if (anti.topologyKey().equals(WellKnownLabels.HOSTNAME) && inNamespaces(anti, a, b)
          && anti.selector().matches(b.labels())) {
        return true;
      }
    }
    return false;
  }

  private static boolean inNamespaces(PodAffinityTerm term, PendingPod owner, PendingPod other) {
    return term.looksIn(owner, other.namespace());
  }

  private static boolean portsFree(PendingPod pod, List<PendingPod> onNode) {
    return pod.hostPorts().isEmpty()
        || onNode.stream().noneMatch(o -> o.hostPorts().stream().anyMatch(pod.hostPorts()::contains));
  }

  /** A hostname spread counts the pods it selects on this node against a new, empty node's zero. */
  private static boolean hostnameSpread(Preferences pod, List<PendingPod> onNode) {
    for (TopologySpread s : pod.spreads()) {
      if (s.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
        long here = onNode.stream().filter(o -> o.namespace().equals(pod.original().namespace())
            && s.selector().matches(o.labels())).count();
        if (here + 1 > s.maxSkew()) {
          return false;
        }
      }
    }
    return true;
  }

  /** The pod's node requirements in force, node selector included, with canonical keys. */
  static List<Requirement> requirements(Preferences pod) {
    List<Requirement> all = new ArrayList<>();
    for (Map.Entry<String, String> s : pod.original().nodeSelector().entrySet()) {
      all.add(Requirement.in(WellKnownLabels.canonical(s.getKey()), s.getValue()));
    }
    pod.requirements().forEach(r -> all.add(r.withKey(WellKnownLabels.canonical(r.key()))));
    return all;
  }

  static boolean isZone(Requirement r) {
    return r.key().equals(WellKnownLabels.ZONE);
  }

  static boolean isCapacityType(Requirement r) {
    return r.key().equals(WellKnownLabels.CAPACITY_TYPE);
  }

  /** Whether a DaemonSet's pod runs on a node with these taints and labels: it takes its share of every such node. */
  static boolean daemonRuns(PendingPod daemon, List<Taint> taints, Map<String, String> labels) {
    if (Toleration.firstUntolerated(taints, daemon.tolerations()) != null) {
      return false;
    }
    for (Map.Entry<String, String> s : daemon.nodeSelector().entrySet()) {
      if (!s.getValue().equals(labels.get(WellKnownLabels.canonical(s.getKey())))) {
        return false;
      }
    }
    return daemon.requiredTerms().isEmpty() || daemon.requiredTerms().stream()
        .anyMatch(t -> t.stream().allMatch(r -> r.withKey(WellKnownLabels.canonical(r.key())).matches(labels)));
  }
}
