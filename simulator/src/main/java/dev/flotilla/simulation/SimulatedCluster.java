package dev.flotilla.simulation;

import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The simulated cluster: nodes, pods, and a scheduler that binds pending pods to ready nodes with room. It honours
 * resources, node selectors, required node affinity, taints and tolerations, host ports and hostname anti-affinity,
 * and prefers the fullest node that fits (a bin-packing scoring profile). Topology spread is left to the
 * provisioner's plans: the binder does not enforce it.
 */
final class SimulatedCluster {

  /** A node: what it offers and what runs on it. */
  static final class Node {
    final String name;
    final String instanceId;
    final Map<String, String> labels;
    final List<Taint> taints;
    final Resources allocatable;
    final List<Pod> pods = new ArrayList<>();
    Resources used = Resources.NONE;
    boolean cordoned;
    /** Its Ready condition, once it changed from True (a failure the scenario injected); null while Ready. */
    NodeState.Condition readiness;

    Node(String name, String instanceId, Map<String, String> labels, List<Taint> taints, Resources allocatable) {
      this.name = name;
      this.instanceId = instanceId;
      this.labels = Map.copyOf(labels);
      this.taints = List.copyOf(taints);
      this.allocatable = allocatable;
    }

    String capacityType() {
      return labels.getOrDefault(WellKnownLabels.CAPACITY_TYPE, "on-demand");
    }

    /** The node as the forwarder mirrors it. */
    NodeState state() {
      return new NodeState(name, instanceId, labels, false, allocatable, taints,
          pods.stream().map(p -> new NodeState.NodePod(p.spec, -1)).toList(),
          readiness == null ? List.of() : List.of(readiness));
    }
  }

  /** A pod: its facts, its workload, when it was created and bound. */
  static final class Pod {
    final PendingPod spec;
    final String workload;
    final Instant created;
    Instant bound;
    Node node;
    Instant lastSent;

    Pod(PendingPod spec, String workload, Instant created) {
      this.spec = spec;
      this.workload = workload;
      this.created = created;
    }

    boolean daemon() {
      return "DaemonSet".equals(spec.ownerKind());
    }
  }

  final Map<String, Node> nodes = new LinkedHashMap<>();
  final Map<String, Pod> pods = new LinkedHashMap<>();
  final List<Pod> finished = new ArrayList<>();

  void add(Pod pod) {
    pods.put(pod.spec.name(), pod);
  }

  /** Deletes a pod (scale-down, eviction): it leaves its node and counts as finished. */
  void delete(Pod pod, Instant now) {
    pods.remove(pod.spec.name());
    if (pod.node != null) {
      pod.node.pods.remove(pod);
      pod.node.used = pod.node.used.minus(pod.spec.requests());
    }
    finished.add(pod);
  }

  List<Pod> pending() {
    return pods.values().stream().filter(p -> p.node == null).toList();
  }

  /** Binds what it can; returns how many pods were bound. */
  int bind(Instant now) {
    int bound = 0;
    Set<String> failed = new HashSet<>();
    for (Pod pod : pending()) {
      String shape = pod.workload + "|" + pod.spec.requests();
      if (failed.contains(shape)) {
        continue;
      }
      Node best = null;
      double bestFill = -1;
      for (Node node : nodes.values()) {
        if (fits(pod, node)) {
          double fill = fill(node);
          if (fill > bestFill) {
            best = node;
            bestFill = fill;
          }
        }
      }
      if (best == null) {
        failed.add(shape);
        continue;
      }
      place(pod, best, now);
      bound++;
    }
    return bound;
  }

  void place(Pod pod, Node node, Instant now) {
    pod.node = node;
    pod.bound = now;
    node.pods.add(pod);
    node.used = node.used.plus(pod.spec.requests());
  }

  static boolean fits(Pod pod, Node node) {
    if (node.cordoned) {
      return false;
    }
    PendingPod p = pod.spec;
    for (Map.Entry<String, Long> r : p.requests().amounts().entrySet()) {
      if (node.used.get(r.getKey()) + r.getValue() > node.allocatable.get(r.getKey())) {
        return false;
      }
    }
    List<Taint> scheduling = node.taints.stream().filter(t -> !t.effect().equals("PreferNoSchedule")).toList();
    if (Toleration.firstUntolerated(scheduling, p.tolerations()) != null) {
      return false;
    }
    for (Map.Entry<String, String> s : p.nodeSelector().entrySet()) {
      if (!s.getValue().equals(node.labels.get(s.getKey()))) {
        return false;
      }
    }
    if (!p.requiredTerms().isEmpty()
        && p.requiredTerms().stream().noneMatch(term -> term.stream().allMatch(r -> r.matches(node.labels)))) {
      return false;
    }
    for (PodAffinityTerm anti : p.antiAffinity()) {
      if (anti.topologyKey().equals(WellKnownLabels.HOSTNAME)
          && node.pods.stream().anyMatch(o -> o.spec.namespace().equals(p.namespace())
          && anti.selector().matches(o.spec.labels()))) {
        return false;
      }
    }
    if (!p.hostPorts().isEmpty()
        && node.pods.stream().anyMatch(o -> o.spec.hostPorts().stream().anyMatch(p.hostPorts()::contains))) {
      return false;
    }
    return true;
  }

  private static double fill(Node node) {
    long cpu = node.allocatable.get(Resources.CPU);
    return cpu <= 0 ? 0 : (double) node.used.get(Resources.CPU) / cpu;
  }

  /** Whether a DaemonSet's pod would run on this node: its selectors and tolerations. */
  static boolean daemonMatches(PendingPod daemon, Node node) {
    if (Toleration.firstUntolerated(node.taints.stream().filter(t -> !t.effect().equals("PreferNoSchedule"))
        .toList(), daemon.tolerations()) != null) {
      return false;
    }
    for (Map.Entry<String, String> s : daemon.nodeSelector().entrySet()) {
      if (!s.getValue().equals(node.labels.get(s.getKey()))) {
        return false;
      }
    }
    return daemon.requiredTerms().isEmpty()
        || daemon.requiredTerms().stream().anyMatch(t -> t.stream().allMatch((Requirement r) -> r.matches(node.labels)));
  }
}
