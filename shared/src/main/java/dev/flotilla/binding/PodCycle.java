package dev.flotilla.binding;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one scheduling attempt of a pod reads on every node, worked out once before the nodes are filtered
 * (kube-scheduler's PreFilter and PreScore state): its requests, its spread constraints with their counts and
 * global minimum, and the affinity terms, its own and those of running pods, that concern it.
 */
final class PodCycle {

  /** kube-scheduler's system default spread, applied to pods that carry no spread constraint of their own. */
  static final int DEFAULT_HOSTNAME_SKEW = 3;
  static final int DEFAULT_ZONE_SKEW = 5;

  /** A spread constraint with the tally it counts on. */
  record Spread(String key, int maxSkew, PodTally tally, int selfMatch, int min) {}

  /** A required (anti-)affinity term of the pod with the tally of what it selects. */
  record Term(String key, PodTally tally, boolean selfMatch) {}

  /** Domains where running pods' terms that select this pod hold. */
  record Domains(String key, Map<String, Integer> counts) {}

  final QueuedPod pod;
  final PendingPod spec;
  final long cpu;
  final long memory;
  final long pods;
  final long nonZeroCpu;
  final long nonZeroMemory;
  final Map<String, Long> other = new HashMap<>();
  final List<Spread> hard = new ArrayList<>();
  final List<Spread> soft = new ArrayList<>();
  /** Soft spreads that are the system defaults: nodes lacking a key are then still scored on the others. */
  final boolean systemDefaulted;
  final List<Term> affinity = new ArrayList<>();
  final List<Term> antiAffinity = new ArrayList<>();
  final List<Domains> forbidden = new ArrayList<>();
  final List<Domains> attraction = new ArrayList<>();

  PodCycle(QueuedPod pod, ClusterState state, EligibleDomains eligible) {
    this.pod = pod;
    this.spec = pod.spec();
    Resources r = spec.requests();
    cpu = r.get(Resources.CPU);
    memory = r.get(Resources.MEMORY);
    pods = r.get(Resources.PODS);
    nonZeroCpu = cpu == 0 ? NodeLoad.DEFAULT_CPU : cpu;
    nonZeroMemory = memory == 0 ? NodeLoad.DEFAULT_MEMORY : memory;
    r.amounts().forEach((k, v) -> {
      if (!NodeLoad.isCore(k)) {
        other.put(k, v);
      }
    });
    Set<String> ownNamespace = Set.of(spec.namespace());
    for (TopologySpread s : spec.spreads()) {
      Selection selection = new Selection(ownNamespace, s.selector());
      PodTally tally = state.tally(selection, s.topologyKey());
      int self = selection.selects(spec) ? 1 : 0;
      if (s.required()) {
        int min = Integer.MAX_VALUE;
        int domains = 0;
        for (String value : eligible.values(spec, s.topologyKey())) {
          min = Math.min(min, tally.count(s.topologyKey(), value));
          domains++;
        }
        // with fewer eligible domains than minDomains the global minimum is zero (PodTopologySpread's filter)
        hard.add(new Spread(s.topologyKey(), s.maxSkew(), tally, self,
            (int) s.globalMinimum(min == Integer.MAX_VALUE ? 0 : min, domains)));
      } else {
        soft.add(new Spread(s.topologyKey(), s.maxSkew(), tally, self, 0));
      }
    }
    systemDefaulted = spec.spreads().isEmpty() && !spec.labels().isEmpty();
    if (systemDefaulted) {
      // kube-scheduler builds the default constraints' selector from the pod's Service, ReplicaSet or StatefulSet;
      // the pods of one workload share their labels, which stands for it here
      Selection own = new Selection(ownNamespace, LabelSelector.of(spec.labels()));
      soft.add(new Spread(WellKnownLabels.HOSTNAME, DEFAULT_HOSTNAME_SKEW,
          state.tally(own, WellKnownLabels.HOSTNAME), 1, 0));
      soft.add(new Spread(WellKnownLabels.ZONE, DEFAULT_ZONE_SKEW, state.tally(own, WellKnownLabels.ZONE), 1, 0));
    }
    for (PodAffinityTerm t : spec.affinity()) {
      Selection selection = ClusterState.selection(spec, t);
      affinity.add(new Term(t.topologyKey(), state.tally(selection, t.topologyKey()), selection.selects(spec)));
    }
    for (PodAffinityTerm t : spec.antiAffinity()) {
      antiAffinity.add(new Term(t.topologyKey(), state.tally(ClusterState.selection(spec, t), t.topologyKey()),
          false));
    }
    state.antiAffinity.forEach((term, counts) -> {
      if (!counts.isEmpty() && term.selection().selects(spec)) {
        forbidden.add(new Domains(term.topologyKey(), counts));
      }
    });
    state.affinity.forEach((term, counts) -> {
      if (!counts.isEmpty() && term.selection().selects(spec)) {
        attraction.add(new Domains(term.topologyKey(), counts));
      }
    });
  }

  /** Required node affinity and node selector, which also decide which nodes a spread counts. */
  static boolean nodeAffinityMatches(PendingPod spec, Map<String, String> labels) {
    for (Map.Entry<String, String> s : spec.nodeSelector().entrySet()) {
      if (!s.getValue().equals(labels.get(s.getKey()))) {
        return false;
      }
    }
    if (spec.requiredTerms().isEmpty()) {
      return true;
    }
    for (List<Requirement> term : spec.requiredTerms()) {
      boolean all = true;
      for (Requirement r : term) {
        if (!r.matches(labels)) {
          all = false;
          break;
        }
      }
      if (all) {
        return true;
      }
    }
    return false;
  }
}
