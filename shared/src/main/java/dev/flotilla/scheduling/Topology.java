package dev.flotilla.scheduling;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pod topology: which pods count together (a label selector within namespaces), and what that means per node
 * (hostname spread, hostname anti-affinity, host ports) and per zone (zone spread, zone anti-affinity, zone
 * affinity, capacity-type spread).
 *
 * <p>Per-node rules become counts that the packer checks in O(constraints) per pick. Per-zone rules are settled
 * before packing by splitting each class into shares pinned to zones (or capacity types), which keeps zone
 * decisions out of the packing loop.
 */
final class Topology {

  /** A set of pods that count together: a selector and the namespaces it looks in (empty: every one). */
  record Group(String topologyKey, LabelSelector selector, List<String> namespaces, String port) {
    boolean matches(PendingPod pod) {
      if (port != null) {
        return pod.hostPorts().contains(port);
      }
      return (namespaces.isEmpty() || namespaces.contains(pod.namespace())) && selector.matches(pod.labels());
    }
  }

  final List<Group> groups = new ArrayList<>();
  private final Map<Group, Integer> index = new LinkedHashMap<>();

  int group(Group g) {
    return index.computeIfAbsent(g, k -> {
      groups.add(k);
      return groups.size() - 1;
    });
  }

  /**
   * Registers the per-node constraints of every class, and the groups pods already on in-flight nodes keep others
   * away from; the groups' membership is filled in afterwards.
   */
  void nodeConstraints(List<PodClass> classes, List<PendingPod> placed) {
    for (PendingPod pod : placed) {
      repelledBy(pod);
    }
    Map<String, Integer> profiles = new LinkedHashMap<>();
    for (PodClass c : classes) {
      PendingPod pod = c.template;
      List<Integer> repels = repelledBy(pod);
      List<Integer> capGroups = new ArrayList<>();
      List<Integer> caps = new ArrayList<>();
      for (TopologySpread spread : pod.spreads()) {
        // a hostname spread kube-scheduler may break (ScheduleAnyway) caps no node: it weighs it among the nodes there
        // are, and a cap bought a node per maxSkew pods (a deployment scaled by 120 got 100 nodes of one pod each,
        // which consolidation then took down), where Karpenter, treating it as required, does the same
        if (spread.topologyKey().equals(WellKnownLabels.HOSTNAME) && spread.required()) {
          capGroups.add(group(new Group(WellKnownLabels.HOSTNAME, spread.selector(), List.of(pod.namespace()), null)));
          caps.add(spread.maxSkew());
        }
      }
      c.repels = repels.stream().mapToInt(Integer::intValue).toArray();
      c.capGroups = capGroups.stream().mapToInt(Integer::intValue).toArray();
      c.caps = caps.stream().mapToInt(Integer::intValue).toArray();
      c.needs = hostnameAffinity(pod).stream().mapToInt(this::group).toArray();
    }
    for (PodClass c : classes) {
      List<Integer> matches = new ArrayList<>();
      for (int g = 0; g < groups.size(); g++) {
        if (groups.get(g).matches(c.template)) {
          matches.add(g);
        }
      }
      c.matches = matches.stream().mapToInt(Integer::intValue).toArray();
      for (int r : c.repels) {
        if (contains(c.matches, r)) {
          c.selfRepelling = true;
        }
      }
      for (int g : c.needs) {
        c.follower |= !contains(c.matches, g);
      }
      String profile = java.util.Arrays.toString(c.matches) + java.util.Arrays.toString(c.repels)
          + java.util.Arrays.toString(c.capGroups) + java.util.Arrays.toString(c.caps)
          + java.util.Arrays.toString(c.needs);
      c.profile = profiles.computeIfAbsent(profile, k -> profiles.size());
    }
  }

  /** The pod's required pod affinity terms on the hostname, as the groups of pods it must find on its node. */
  static List<Group> hostnameAffinity(PendingPod pod) {
    List<Group> groups = new ArrayList<>();
    for (PodAffinityTerm term : pod.affinity()) {
      if (term.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
        groups.add(new Group(WellKnownLabels.HOSTNAME, term.selector(), term.namespacesOf(pod), null));
      }
    }
    return groups;
  }

  /** The groups a pod keeps off its node: hostname anti-affinity and host ports. */
  List<Integer> repelledBy(PendingPod pod) {
    List<Integer> repels = new ArrayList<>();
    for (PodAffinityTerm term : pod.antiAffinity()) {
      if (term.topologyKey().equals(WellKnownLabels.HOSTNAME)) {
        repels.add(group(new Group(WellKnownLabels.HOSTNAME, term.selector(), term.namespacesOf(pod), null)));
      }
    }
    for (String port : pod.hostPorts()) {
      repels.add(group(new Group(WellKnownLabels.HOSTNAME, null, List.of(), port)));
    }
    return repels;
  }

  /** Counts a pod already on a node into that node's topology. */
  void countPlaced(PendingPod pod, int[] counts, boolean[] repelled) {
    for (int g = 0; g < groups.size(); g++) {
      if (groups.get(g).matches(pod)) {
        counts[g]++;
      }
    }
    for (int g : repelledBy(pod)) {
      repelled[g] = true;
    }
  }

  /** How many of {@code wanted} pods of the class a node with these counts can still take. */
  static int allowedOn(PodClass c, int[] counts, boolean[] repelled, int wanted) {
    for (int g : c.matches) {
      if (repelled[g]) {
        return 0;
      }
    }
    for (int g : c.repels) {
      if (counts[g] > 0) {
        return 0;
      }
    }
    // required hostname affinity: a pod of the group on the node, or, for a group of its own, the first of them
    for (int g : c.needs) {
      if (counts[g] == 0 && !contains(c.matches, g)) {
        return 0;
      }
    }
    int allowed = c.selfRepelling ? Math.min(wanted, 1) : wanted;
    for (int i = 0; i < c.capGroups.length; i++) {
      int g = c.capGroups[i];
      int left = c.caps[i] - counts[g];
      if (left <= 0) {
        return 0;
      }
      if (contains(c.matches, g)) {
        allowed = Math.min(allowed, left);
      }
    }
    return allowed;
  }

  static void count(PodClass c, int[] counts, boolean[] repelled, int n) {
    for (int g : c.matches) {
      counts[g] += n;
    }
    for (int g : c.repels) {
      repelled[g] = true;
    }
  }

  static boolean contains(int[] values, int v) {
    for (int x : values) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  /** The group of pods a zone rule's selector matches in its namespaces. */
  static Group zoneGroup(LabelSelector selector, List<String> namespaces) {
    return new Group(WellKnownLabels.ZONE, selector, namespaces, null);
  }

  /** The lowest count among the domains of {@code allowed}; {@link Long#MAX_VALUE} where it has none. */
  static long least(long[] counts, long allowed) {
    long min = Long.MAX_VALUE;
    for (int d = 0; d < counts.length; d++) {
      if ((allowed & (1L << d)) != 0) {
        min = Math.min(min, counts[d]);
      }
    }
    return min;
  }

  /** The domains among {@code allowed} with the lowest count, as a mask. */
  static long leastUsed(long[] counts, long allowed) {
    long min = least(counts, allowed);
    long mask = 0;
    for (int d = 0; d < counts.length; d++) {
      if ((allowed & (1L << d)) != 0 && counts[d] == min) {
        mask |= 1L << d;
      }
    }
    return mask;
  }
}
