package dev.flotilla.simulation.karpenter;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Zone topology spread as Karpenter's topology counts it (kubernetes-sigs/karpenter
 * {@code provisioning/scheduling/topologygroup.go}): the pods a spread selects, per zone, on the cluster's nodes and
 * on what the simulation has planned so far; a pod may go to a zone whose count stays within maxSkew of the least-used
 * domain, and a new NodeClaim is pinned to the least-used zone it can take (the first by name among equals, where
 * Karpenter takes whichever its map gives first).
 */
final class ZoneSpread {

  private record Group(String namespace, LabelSelector selector) {}

  private final List<PendingPod> pods = new ArrayList<>();
  private final List<String> zones = new ArrayList<>();
  private final Map<Group, Map<String, Integer>> counts = new HashMap<>();
  private final Function<Preferences, Set<String>> domains;

  /** @param domains the zones a pod's spread counts: those its NodePools offer and its node affinity allows */
  ZoneSpread(List<ExistingNode> nodes, Function<Preferences, Set<String>> domains) {
    this.domains = domains;
    for (ExistingNode n : nodes) {
      n.pods.forEach(p -> {
        pods.add(p);
        zones.add(n.zone());
      });
    }
  }

  void record(PendingPod pod, String zone) {
    if (zone == null) {
      return;
    }
    pods.add(pod);
    zones.add(zone);
    counts.forEach((g, c) -> {
      if (selects(g, pod)) {
        c.merge(zone, 1, Integer::sum);
      }
    });
  }

  boolean allows(Preferences pod, String zone) {
    for (TopologySpread s : zoneSpreads(pod)) {
      Map<String, Integer> c = count(pod.original(), s);
      if (c.getOrDefault(zone, 0) + 1 - min(c, domains.apply(pod)) > s.maxSkew()) {
        return false;
      }
    }
    return true;
  }

  /** The zone a new NodeClaim allowed {@code candidates} is pinned to for this pod, or null; all of them without a spread. */
  String pick(Preferences pod, Set<String> candidates) {
    List<TopologySpread> spreads = zoneSpreads(pod);
    if (spreads.isEmpty()) {
      return null;
    }
    String best = null;
    int bestCount = Integer.MAX_VALUE;
    for (String z : new java.util.TreeSet<>(candidates)) {
      if (!allows(pod, z)) {
        continue;
      }
      int n = count(pod.original(), spreads.getFirst()).getOrDefault(z, 0);
      if (n < bestCount) {
        best = z;
        bestCount = n;
      }
    }
    return best == null ? "" : best;
  }

  static boolean spreadsOverZones(Preferences pod) {
    return !zoneSpreads(pod).isEmpty();
  }

  private static List<TopologySpread> zoneSpreads(Preferences pod) {
    return pod.spreads().stream().filter(s -> s.topologyKey().equals(WellKnownLabels.ZONE)).toList();
  }

  private int min(Map<String, Integer> c, Set<String> domain) {
    int min = Integer.MAX_VALUE;
    for (String z : domain) {
      min = Math.min(min, c.getOrDefault(z, 0));
    }
    return min == Integer.MAX_VALUE ? 0 : min;
  }

  private Map<String, Integer> count(PendingPod pod, TopologySpread s) {
    Group g = new Group(pod.namespace(), s.selector());
    return counts.computeIfAbsent(g, k -> {
      Map<String, Integer> c = new TreeMap<>();
      for (int i = 0; i < pods.size(); i++) {
        if (selects(k, pods.get(i)) && zones.get(i) != null) {
          c.merge(zones.get(i), 1, Integer::sum);
        }
      }
      return c;
    });
  }

  private static boolean selects(Group g, PendingPod p) {
    return p.namespace().equals(g.namespace()) && g.selector().matches(p.labels());
  }
}
