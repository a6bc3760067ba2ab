package dev.flotilla.provisioning;

import dev.flotilla.binding.Binder;
import dev.flotilla.binding.Binding;
import dev.flotilla.binding.QueuedPod;
import dev.flotilla.binding.ScoringProfile;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.Consolidator;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.PendingPod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The pending pods that wait only for Flotilla's drained nodes to go. A drained node stays in the cluster, cordoned
 * and empty, until its instance is gone; kube-scheduler still counts it as a domain of every hard topology spread
 * (nodeTaintsPolicy Ignore), with none of the spread's pods, so a spread's pod whose other domains hold more is
 * refused everywhere until the node is deleted, and then lands in the room consolidation checked for it. A launch
 * for it buys a node that joins empty (generated seed 364: a replace's drained node, the only one of its zone, kept
 * a zone-spread pod pending for 15 s, and the provisioner launched a node that consolidation deleted empty).
 */
final class LeavingNodes {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LeavingNodes.class);

  /**
   * How long after its claim last moved (to Draining, then to Terminated) a node counts as leaving. One whose pods
   * may all go is deleted about 15 s after its drain starts (the drain's report, the instance's termination, the
   * node's removal); past this its going is late, and a pod held for it is planned.
   */
  static final java.time.Duration WAIT = java.time.Duration.ofSeconds(60);

  private LeavingNodes() {}

  /**
   * @param pending the pods to be planned
   * @param mirror  the forwarder's node mirror
   * @param claims  every claim: those Draining or Terminated name the nodes leaving; those still on their way to a
   *                node hold its room
   * @param now     a claim that has not moved for {@link #WAIT} is not counted leaving
   * @param scoring how the cluster's scheduler ranks the nodes a pod fits
   * @return the pods of {@code pending} with a hard spread one of whose domains (a value of its key on a node its
   *     node affinity admits) only a leaving node carries, that the cluster's scheduler binds on the nodes staying,
   *     the room each takes counted for the next. The provisioner is sent pods the cluster's scheduler refused, and
   *     with such a node still there its domain holds none of the spread's pods. A pod refused for a reason the
   *     binder does not see is planned once the node is gone: the scheduler's new verdict updates the pod, and the
   *     forwarder sends it again
   */
  static Set<String> waitingFor(List<PendingPod> pending, Supplier<List<NodeState>> mirror, List<Claim> claims,
      Instant now, ScoringProfile scoring) {
    if (pending.stream().noneMatch(PendingPod::hasHardSpread)) {
      return Set.of();
    }
    // by node name and the instance its claim ran: a new node may get the name of one gone a moment ago
    Map<String, String> leavingInstances = new HashMap<>();
    Set<String> draining = new HashSet<>();
    for (Claim c : claims) {
      // a spot warning's drain too: the lifecycle terminates its instance as soon as the forwarder reports it drained
      boolean leaving = c.state() == ClaimState.Draining || c.state() == ClaimState.Terminated;
      if (leaving && c.nodeName() != null && c.updatedAt() != null && c.updatedAt().plus(WAIT).isAfter(now)) {
        leavingInstances.put(c.nodeName(), c.instanceId());
      }
      if (c.state() == ClaimState.Draining && c.nodeName() != null) {
        draining.add(c.nodeName());
      }
    }
    if (leavingInstances.isEmpty()) {
      return Set.of();
    }
    List<NodeState> nodes = mirror.get();
    List<NodeState> leaving = new ArrayList<>();
    Set<String> leavingNodes = new HashSet<>();
    for (NodeState n : nodes) {
      String instance = leavingInstances.get(n.node());
      boolean same = instance == null || n.instanceId() == null || instance.equals(n.instanceId());
      if (leavingInstances.containsKey(n.node()) && same && emptiedWithinSeconds(n)) {
        leaving.add(n);
        leavingNodes.add(n.node());
      }
    }
    if (leaving.isEmpty()) {
      return Set.of();
    }
    List<NodeState> staying = nodes.stream().filter(n -> !leavingNodes.contains(n.node())).toList();
    // pods of a kind share their node affinity: each domain is judged once for it
    Map<List<Object>, Boolean> judged = new HashMap<>();
    List<PendingPod> candidates = pending.stream().filter(p -> p.spreads().stream().anyMatch(s -> s.required()
        && leaving.stream().anyMatch(n -> judged.computeIfAbsent(List.of(s.topologyKey(), n.node(),
            p.nodeSelector(), p.requiredTerms()), k -> phantom(p, s.topologyKey(), n, staying))))).toList();
    if (candidates.isEmpty()) {
      return Set.of();
    }
    try {
      return bound(candidates, staying, draining, claims, now, scoring);
    } catch (IllegalArgumentException stale) {
      // the mirror's documents are written apart: a pod evicted from one node and bound on another can show on both
      // for a moment. Holding a pod only saves a launch: none is held on a mirror that cannot be read as one cluster
      LOG.atWarn().setMessage("pods waiting for drained nodes not judged: the node mirror is not one cluster")
          .addKeyValue("reason", stale.getMessage()).log();
      return Set.of();
    }
  }

  /**
   * Whether a node's drain empties it within seconds: every pod on it may be evicted now, those a budget covers no
   * more of a kind than the budget allows at once. One holding a pod that may not go yet, or a budget's pods it lets
   * go one at a time, stays as long as they do, and its evicted pods are planned as they come.
   */
  private static boolean emptiedWithinSeconds(NodeState node) {
    Map<PendingPod.Workload, Integer> ofKind = new HashMap<>();
    node.pods().forEach(p -> ofKind.merge(p.pod().workload(), 1, Integer::sum));
    return node.pods().stream().allMatch(p -> p.daemon() || p.blocker() == null && (p.disruptionsAllowed() < 0
        || ofKind.get(p.pod().workload()) <= p.disruptionsAllowed()));
  }

  /**
   * Whether {@code node} is a domain of the pod's spread on {@code key} that goes with it: the pod's node affinity
   * admits it, and no node staying that the affinity admits carries its value (kube-scheduler counts the domains of
   * those nodes only).
   */
  private static boolean phantom(PendingPod pod, String key, NodeState node, List<NodeState> staying) {
    String value = node.labels().get(key);
    if (value == null || !Binder.admits(pod, node.labels())) {
      return false;
    }
    for (NodeState n : staying) {
      if (value.equals(n.labels().get(key)) && Binder.admits(pod, n.labels())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The pods the cluster's scheduler binds on {@code nodes}: those still initializing take none (their room is for
   * the pods their Nominate names), nor those {@code draining} (cordoned), and the pods still on their way to a node
   * hold their room there.
   */
  private static Set<String> bound(List<PendingPod> pods, List<NodeState> nodes, Set<String> draining,
      List<Claim> claims, Instant now, ScoringProfile scoring) {
    Binder binder = new Binder(scoring, 0);
    Map<String, PendingPod> running = new HashMap<>();
    for (int i = 0; i < nodes.size(); i++) {
      NodeState n = nodes.get(i);
      n.joinTo(binder, i, n.initializing());
      if (draining.contains(n.node())) {
        binder.cordon(n.node());
      }
      n.pods().forEach(p -> running.put(p.pod().name(), p.pod()));
    }
    for (Claim c : claims) {
      if (c.state().live() && c.nodeName() != null && binder.hasNode(c.nodeName())) {
        Consolidator.onTheirWay(c, running, now).forEach(p -> binder.bound(c.nodeName(), p));
      }
    }
    long order = 0;
    for (PendingPod pod : pods) {
      if (!running.containsKey(pod.name())) {
        binder.enqueue(new QueuedPod(pod, 0, order++));
      }
    }
    // again while any lands: a spread's pod refused in one pass can fit once its siblings in other domains have
    Set<String> bound = new LinkedHashSet<>();
    for (List<Binding> round = binder.schedule().bound(); !round.isEmpty(); round = binder.schedule().bound()) {
      round.forEach(b -> bound.add(b.pod()));
    }
    return bound;
  }
}
