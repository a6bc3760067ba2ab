package dev.flotilla.binding;

import dev.flotilla.model.Resources;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import java.util.Map;

/**
 * kube-scheduler's default filters, in the order of cheapest first: NodeUnschedulable, NodeResourcesFit (with the
 * pods nominated to the node that count against this one), TaintToleration, NodeAffinity, VolumeZone, NodePorts,
 * PodTopologySpread (DoNotSchedule constraints) and InterPodAffinity.
 */
final class Filters {

  private final Nominations nominations;

  Filters(Nominations nominations) {
    this.nominations = nominations;
  }

  boolean feasible(PodCycle c, NodeLoad node) {
    return !node.unschedulable
        && fits(c, node)
        && Toleration.firstUntolerated(node.taints, c.spec.tolerations()) == null
        && PodCycle.nodeAffinityMatches(c.spec, node.labels)
        && volumeZone(c, node)
        && portsFree(c, node)
        && spread(c, node)
        && interPodAffinity(c, node);
  }

  /** Requests against what is left, the nominated pods of equal or higher priority counting as running. */
  boolean fits(PodCycle c, NodeLoad node) {
    long cpu = node.cpu + c.cpu;
    long memory = node.memory + c.memory;
    long pods = node.pods + c.pods;
    Map<String, Long> nominatedOther = null;
    if (nominations.any(node.name)) {
      for (QueuedPod n : nominations.against(c.pod, node.name)) {
        Resources r = n.spec().requests();
        cpu += r.get(Resources.CPU);
        memory += r.get(Resources.MEMORY);
        pods += r.get(Resources.PODS);
        if (!c.other.isEmpty()) {
          for (String k : c.other.keySet()) {
            if (nominatedOther == null) {
              nominatedOther = new java.util.HashMap<>();
            }
            nominatedOther.merge(k, r.get(k), Long::sum);
          }
        }
      }
    }
    if (cpu > node.allocatableCpu && c.cpu > 0 || memory > node.allocatableMemory && c.memory > 0
        || pods > node.allocatablePods) {
      return false;
    }
    for (Map.Entry<String, Long> e : c.other.entrySet()) {
      long used = node.other.getOrDefault(e.getKey(), 0L)
          + (nominatedOther == null ? 0 : nominatedOther.getOrDefault(e.getKey(), 0L));
      if (used + e.getValue() > node.allocatable.get(e.getKey())) {
        return false;
      }
    }
    return true;
  }

  private static boolean volumeZone(PodCycle c, NodeLoad node) {
    return c.spec.volumeZones().isEmpty() || c.spec.volumeZones().contains(node.labels.get(WellKnownLabels.ZONE));
  }

  private static boolean portsFree(PodCycle c, NodeLoad node) {
    for (String port : c.spec.hostPorts()) {
      if (node.hostPorts.containsKey(port)) {
        return false;
      }
    }
    return true;
  }

  /** Matching pods in the node's domain, plus this one if it matches, less the global minimum, within maxSkew. */
  private static boolean spread(PodCycle c, NodeLoad node) {
    for (PodCycle.Spread s : c.hard) {
      String value = node.labels.get(s.key());
      if (value == null) {
        return false;
      }
      if (s.tally().count(s.key(), value) + s.selfMatch() - s.min() > s.maxSkew()) {
        return false;
      }
    }
    return true;
  }

  private static boolean interPodAffinity(PodCycle c, NodeLoad node) {
    for (PodCycle.Domains d : c.forbidden) {
      String value = node.labels.get(d.key());
      if (value != null && d.counts().containsKey(value)) {
        return false;
      }
    }
    for (PodCycle.Term t : c.antiAffinity) {
      String value = node.labels.get(t.key());
      if (value != null && t.tally().count(t.key(), value) > 0) {
        return false;
      }
    }
    for (PodCycle.Term t : c.affinity) {
      String value = node.labels.get(t.key());
      boolean present = value != null && t.tally().count(t.key(), value) > 0;
      // the first pod of a group whose affinity selects itself may go anywhere its other rules allow
      if (!present && !(t.tally().total == 0 && t.selfMatch())) {
        return false;
      }
    }
    return true;
  }
}
