package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The nodes and running pods the binder places against, with the aggregates its rules read kept current on every
 * change: each node's requested sums, the pods each spread or affinity selection counts per domain, and where the
 * running pods that carry (anti-)affinity terms are.
 */
final class ClusterState {

  /** A required (anti-)affinity term of running pods: what it selects and over which topology key. */
  record CarriedTerm(Selection selection, String topologyKey) {}

  final List<NodeLoad> order = new ArrayList<>();
  final Map<String, NodeLoad> nodes = new HashMap<>();
  private final Map<String, NodeLoad> podNode = new HashMap<>();
  private final Map<Selection, PodTally> tallies = new HashMap<>();
  /**
   * Running pods by their namespace and labels, then by node: a cluster of thousands of pods has a few hundred such
   * sets, so a new tally matches its selector against those, not against every pod.
   */
  private final Map<Labelled, Map<NodeLoad, Integer>> byLabels = new HashMap<>();

  /** The part of a pod a selection reads. */
  record Labelled(String namespace, Map<String, String> labels) {}
  /** Running pods' anti-affinity terms: carriers per domain value. */
  final Map<CarriedTerm, Map<String, Integer>> antiAffinity = new LinkedHashMap<>();
  /** Running pods' required affinity terms: carriers per domain value (InterPodAffinity scores them). */
  final Map<CarriedTerm, Map<String, Integer>> affinity = new LinkedHashMap<>();
  /** Changes whenever the set of nodes or their labels change: what per-class caches depend on. */
  long nodeGeneration;

  void addNode(String name, Map<String, String> labels, List<Taint> taints, Resources allocatable, int position) {
    if (nodes.containsKey(name)) {
      throw new IllegalArgumentException("node " + name + " is already in the cluster");
    }
    NodeLoad node = new NodeLoad(name, labels, taints, allocatable);
    nodes.put(name, node);
    order.add(position, node);
    nodeGeneration++;
  }

  /** Removes a node and its pods; returns the pods that ran there. */
  List<PendingPod> removeNode(String name) {
    NodeLoad node = nodes.get(name);
    if (node == null) {
      return List.of();
    }
    List<PendingPod> pods = new ArrayList<>(node.running.values());
    pods.forEach(p -> remove(p.name()));
    nodes.remove(name);
    order.remove(node);
    nodeGeneration++;
    return pods;
  }

  NodeLoad node(String name) {
    return nodes.get(name);
  }

  boolean running(String pod) {
    return podNode.containsKey(pod);
  }

  String nodeOf(String pod) {
    NodeLoad n = podNode.get(pod);
    return n == null ? null : n.name;
  }

  void bind(PendingPod pod, NodeLoad node) {
    if (podNode.containsKey(pod.name())) {
      throw new IllegalArgumentException("pod " + pod.name() + " already runs on " + podNode.get(pod.name()).name);
    }
    node.add(pod);
    podNode.put(pod.name(), node);
    change(pod, node, 1);
  }

  /** Removes a running pod; false when it was not running. */
  boolean remove(String podName) {
    NodeLoad node = podNode.remove(podName);
    if (node == null) {
      return false;
    }
    PendingPod pod = node.running.get(podName);
    node.remove(pod);
    change(pod, node, -1);
    return true;
  }

  private void change(PendingPod pod, NodeLoad node, int sign) {
    Labelled labelled = new Labelled(pod.namespace(), pod.labels());
    Map<NodeLoad, Integer> where = byLabels.computeIfAbsent(labelled, k -> new java.util.IdentityHashMap<>());
    where.merge(node, sign, (a, b) -> a + b == 0 ? null : a + b);
    if (where.isEmpty()) {
      byLabels.remove(labelled);
    }
    for (PodTally tally : tallies.values()) {
      tally.change(pod, node, sign);
    }
    carry(antiAffinity, pod, pod.antiAffinity(), node, sign);
    carry(affinity, pod, pod.affinity(), node, sign);
  }

  private static void carry(Map<CarriedTerm, Map<String, Integer>> carriers, PendingPod pod,
      List<PodAffinityTerm> terms, NodeLoad node, int sign) {
    for (PodAffinityTerm term : terms) {
      String value = node.labels.get(term.topologyKey());
      if (value == null) {
        continue;
      }
      Map<String, Integer> byValue = carriers.computeIfAbsent(
          new CarriedTerm(selection(pod, term), term.topologyKey()), k -> new HashMap<>());
      int n = byValue.getOrDefault(value, 0) + sign;
      if (n <= 0) {
        byValue.remove(value);
      } else {
        byValue.put(value, n);
      }
    }
  }

  /** What a pod's affinity term selects: pods of the term's namespaces, or of the pod's own when it names none. */
  static Selection selection(PendingPod pod, PodAffinityTerm term) {
    return new Selection(Set.copyOf(term.namespacesOf(pod)),
        term.selector());
  }

  /** The tally of a selection, counting by {@code key}; built from the running pods' label sets the first time. */
  PodTally tally(Selection selection, String key) {
    PodTally tally = tallies.computeIfAbsent(selection, s -> new PodTally(s, byLabels));
    if (!tally.tracks(key)) {
      tally.track(key);
    }
    return tally;
  }

  Collection<NodeLoad> nodes() {
    return order;
  }
}
