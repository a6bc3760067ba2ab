package dev.flotilla.simulation;

import dev.flotilla.binding.Binder;
import dev.flotilla.binding.Binding;
import dev.flotilla.binding.QueuedPod;
import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.binding.StartupTaint;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.WellKnownLabels;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The simulated cluster: nodes, pods, and kube-scheduler placing pending pods on ready nodes, modelled by the
 * {@link Binder} (the default profile, or the bin-packing one a scenario asks for). The binder keeps its own view of
 * nodes and pods current through every change made here.
 */
final class SimulatedCluster {

  /** A node: what it offers and what runs on it. */
  static final class Node {
    final String name;
    final String instanceId;
    final Map<String, String> labels;
    List<Taint> taints;
    final Resources allocatable;
    final List<Pod> pods = new ArrayList<>();
    Resources used = Resources.NONE;
    boolean cordoned;
    /** Its Ready condition, once it changed from True (a failure the scenario injected); null while Ready. */
    NodeState.Condition readiness;
    /** When it joined and became Ready: its Ready condition's transition time until a failure changes it. */
    Instant joined;

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

    boolean initializing() {
      return taints.stream().anyMatch(StartupTaint::is);
    }

    /**
     * The node as the forwarder mirrors it, each pod with what its disruption budgets allow ({@code -1}: none), in
     * the order of {@link #pods}.
     */
    NodeState state(int[] disruptionsAllowed) {
      List<NodeState.NodePod> mirrored = new ArrayList<>(pods.size());
      for (int i = 0; i < pods.size(); i++) {
        mirrored.add(new NodeState.NodePod(pods.get(i).spec, disruptionsAllowed[i]));
      }
      return new NodeState(name, instanceId, labels, false, allocatable, taints, mirrored,
          readiness != null ? List.of(readiness)
              : joined == null ? List.of() : List.of(new NodeState.Condition("Ready", "True", joined)));
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
  /** How many of {@link #pods} each workload has: a controller asks on every pod it recreates. */
  private final Map<String, Integer> podsOfWorkload = new java.util.HashMap<>();
  private final Binder binder;
  private final List<DisruptionBudget> budgets;
  /** Each budget's disruptions allowed, worked out once per {@link #version}. */
  private final Map<DisruptionBudget, Integer> allowed = new java.util.HashMap<>();
  /** Moves whenever a pod is added, bound or deleted: what the budgets count. */
  private long version;
  private long allowedAt = -1;
  /** Each budget's disruptions allowed as the mirror last heard of them ({@link #touchBudgetChanges}). */
  private final Map<DisruptionBudget, Integer> published = new java.util.HashMap<>();
  private long publishedAt = -1;

  /** Nodes whose pods or taints changed since the forwarder's mirror last took them ({@link #takeTouched}). */
  private final Set<Node> touched = new java.util.LinkedHashSet<>();

  SimulatedCluster(ScoringProfile profile) {
    this(profile, List.of());
  }

  SimulatedCluster(ScoringProfile profile, List<DisruptionBudget> budgets) {
    this.binder = new Binder(profile, 17);
    this.budgets = List.copyOf(budgets);
  }

  /**
   * The fewest disruptions the budgets that select the pod allow now, as the disruption controller reports them
   * (pods selected, those of them running); -1 when none selects it.
   */
  int disruptionsAllowed(Pod pod) {
    if (budgets.isEmpty() || pod.daemon()) {
      return -1;
    }
    refreshAllowed();
    int fewest = -1;
    int selecting = 0;
    for (DisruptionBudget b : budgets) {
      if (b.selects(pod.spec)) {
        int a = allowed.get(b);
        fewest = fewest < 0 ? a : Math.min(fewest, a);
        selecting++;
      }
    }
    // the eviction API refuses a pod more than one budget selects, whatever they allow
    return selecting > 1 ? 0 : fewest;
  }

  private void refreshAllowed() {
    if (allowedAt != version) {
      allowed.clear();
      for (DisruptionBudget b : budgets) {
        int expected = 0;
        int healthy = 0;
        for (Pod p : pods.values()) {
          if (b.selects(p.spec)) {
            expected++;
            healthy += p.node != null ? 1 : 0;
          }
        }
        allowed.put(b, b.allowed(expected, healthy));
      }
      allowedAt = version;
    }
  }

  /**
   * Marks changed every node running a pod of a budget whose disruptions allowed moved since the last call, as the
   * forwarder's mirror rewrites every node when a budget's status changes: each pod's document carries the count.
   */
  void touchBudgetChanges() {
    if (budgets.isEmpty() || publishedAt == version) {
      return;
    }
    refreshAllowed();
    publishedAt = version;
    for (DisruptionBudget b : budgets) {
      Integer now = allowed.get(b);
      if (!now.equals(published.put(b, now))) {
        for (Node n : nodes.values()) {
          if (n.pods.stream().anyMatch(p -> !p.daemon() && b.selects(p.spec))) {
            touched.add(n);
          }
        }
      }
    }
  }

  /** A new pod: pending, in the scheduler's queue by its creation time (every pod at the default priority). */
  void add(Pod pod) {
    version++;
    count(pods.put(pod.spec.name(), pod), -1);
    count(pod, 1);
    binder.enqueue(new QueuedPod(pod.spec, 0, pod.created.toEpochMilli()));
  }

  void addNode(Node node) {
    nodes.put(node.name, node);
    binder.addNode(node.name, node.labels, node.taints, node.allocatable);
  }

  /** A node leaves; its pods must have been deleted first. */
  Node removeNode(String name) {
    Node node = nodes.remove(name);
    if (node != null) {
      binder.removeNode(name);
      touched.remove(node);
    }
    return node;
  }

  void cordon(Node node) {
    node.cordoned = true;
    binder.cordon(node.name);
  }

  /** Replaces the node's taints: the node lifecycle controller's not-ready taints come and go. */
  void taints(Node node, List<Taint> taints) {
    touched.add(node);
    node.taints = List.copyOf(taints);
    binder.taints(node.name, node.taints);
  }

  /** Lifts the node's startup taint; false when it had none left. */
  boolean liftStartupTaint(Node node) {
    if (!node.initializing()) {
      return false;
    }
    touched.add(node);
    node.taints = node.taints.stream().filter(t -> !StartupTaint.is(t)).toList();
    binder.taints(node.name, node.taints);
    return true;
  }

  /** Sets a pending pod's nominated node; false when the pod is no longer pending. */
  boolean nominate(String pod, Node node) {
    Pod p = pods.get(pod);
    return p != null && p.node == null && binder.nominate(pod, node.name);
  }

  String nominatedNode(String pod) {
    return binder.nominatedNode(pod);
  }

  /** Deletes a pod (scale-down, eviction): it leaves its node and counts as finished. */
  void delete(Pod pod, Instant now) {
    version++;
    count(pods.remove(pod.spec.name()), -1);
    binder.delete(pod.spec.name());
    if (pod.node != null) {
      touched.add(pod.node);
      pod.node.pods.remove(pod);
      pod.node.used = pod.node.used.minus(pod.spec.requests());
    }
    finished.add(pod);
  }

  /** How many pods of this workload exist, pending or running. */
  int podsOf(String workload) {
    return podsOfWorkload.getOrDefault(workload, 0);
  }

  private void count(Pod pod, int change) {
    if (pod != null) {
      podsOfWorkload.merge(pod.workload, change, Integer::sum);
    }
  }

  /** The nodes changed since the last call, still in the cluster, in the order they changed first. */
  List<Node> takeTouched() {
    List<Node> changed = touched.stream().filter(n -> nodes.get(n.name) == n).toList();
    touched.clear();
    return changed;
  }

  /** The nodes changed since the mirror last took them, not taken yet. */
  Set<Node> touched() {
    return java.util.Collections.unmodifiableSet(touched);
  }

  /** Marks the node for the mirror's next tick: passed over this time, or the mirror starting afresh. */
  void touch(Node node) {
    touched.add(node);
  }

  boolean anyTouched() {
    return !touched.isEmpty();
  }

  List<Pod> pending() {
    return pods.values().stream().filter(p -> p.node == null).toList();
  }

  /** One pass of the scheduler over its queue; returns what it did. */
  Binder.Round bind(Instant now) {
    Binder.Round round = binder.schedule();
    for (Binding b : round.bound()) {
      record(pods.get(b.pod()), nodes.get(b.node()), now);
    }
    return round;
  }

  /** A pod placed by its controller (a DaemonSet's pod), not by the scheduler. */
  void place(Pod pod, Node node, Instant now) {
    binder.bound(node.name, pod.spec);
    record(pod, node, now);
  }

  private void record(Pod pod, Node node, Instant now) {
    version++;
    touched.add(node);
    pod.node = node;
    pod.bound = now;
    node.pods.add(pod);
    node.used = node.used.plus(pod.spec.requests());
  }

  /** Whether a DaemonSet's pod would run on this node: its selectors and the tolerations of the node's own taints. */
  static boolean daemonMatches(PendingPod daemon, Node node) {
    List<Taint> taints = node.taints.stream().filter(t -> t.blocksScheduling() && !StartupTaint.is(t)).toList();
    if (Toleration.firstUntolerated(taints, daemon.tolerations()) != null) {
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
