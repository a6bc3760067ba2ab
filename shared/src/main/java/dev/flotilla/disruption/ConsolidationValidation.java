package dev.flotilla.disruption;

import dev.flotilla.binding.Binder;
import dev.flotilla.binding.QueuedPod;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.NodeLabels;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a consolidation against the cluster's scheduler rather than the plan alone: with the nodes it removes drained
 * (still there, cordoned and empty, where a pod they run has a hard spread; then gone) and its replacements (if any)
 * joined, kube-scheduler's rules ({@link Binder}), scoring as the cluster's scheduler is configured to
 * ({@link Consolidator.View#scoring}), must place every pod it displaces, and every pod a drain already evicted that
 * would land without it. The plan's packing ignores what the scheduler enforces and prefers (zone skew against the
 * running pods, the default spread, the scoring profile); an action
 * that would leave pods pending is refused, because the pods left over would need a new launch, and the next pass
 * would remove that node again.
 *
 * <p>The cluster is loaded into a binder once per pass; each check takes its nodes out and puts them back where they
 * were, and starts the binder's search over ({@link Binder#startOver}). A check must answer the same on the same
 * cluster whatever was checked before it: a command found by a pass's search is checked again, alone, before it
 * starts, and had the two answered differently on a cluster that did not change, the search would find the same
 * command every pass and the check refuse it every pass.
 */
final class ConsolidationValidation {

  private final Consolidator.View view;
  private final Map<String, NodePool> pools;
  private final Binder binder;
  /** The nodes a check is removing: while they stay drained, the pods waiting for them queue as they will. */
  private final Set<String> goneNow = new HashSet<>();
  private final Map<String, NodeState> present = new LinkedHashMap<>();
  /** Each present node's place in the order the binder searches. */
  private final Map<String, Integer> position = new java.util.HashMap<>();
  /**
   * Consolidation and drift replacements still held for their drain ({@link ReplacementHold}): cordoned, they take no
   * pod.
   */
  private final Set<String> held = new HashSet<>();
  /**
   * The pods of nodes already draining that the mirror still shows on them: evicted now or in a moment, they look
   * for room first, and an action whose pods need that same room would strand some.
   */
  private final List<PendingPod> evicted = new ArrayList<>();
  /**
   * The pods reserved on claims and not bound yet, each with its claim's node where that has joined: pending in the
   * cluster since before this pass, they are ahead of the pods an action displaces in the scheduler's queue, and
   * take the spare room they fit in (their nominated node first) before those pods look for it.
   */
  private final Map<PendingPod, String> waiting = new LinkedHashMap<>();
  /**
   * The pods the forwarder last saw pending that no claim reserves and the mirror does not show running: created
   * before the check (a scale-up a moment ago) or left pending (behind a pool's limit, planned too late), they are
   * ahead of an action's pods in the scheduler's queue and take the room they fit in first. Unlike the action's, they
   * need not land: an action is not refused for pods it does not leave pending (Karpenter's
   * {@code AllNonPendingPodsScheduled}).
   */
  private final List<PendingPod> pending = new ArrayList<>();
  /**
   * Nodes still carrying the startup taint that no action checked here lifts: their Nominate has not come (late, or
   * lost with the invocation that was to send it). Until it comes they take only the pods it is to nominate there,
   * which are placed on them at once; counted open, they let a check land an action's pods where the cluster's
   * scheduler could not put them, and a launch followed for the pods. Left open in the view of the cluster once
   * what is settling has landed ({@code settling} false): a Nominate is sent again until the taint is gone.
   */
  private final Set<String> initializing = new HashSet<>();
  /** While true, the pods planned on nodes still initializing are not bound yet (see {@link #stranded}). */
  private boolean plannedUnbound;
  /** {@link #settledWithoutAction}, once worked out, with the planned pods bound and not ({@link #plannedUnbound}). */
  private final Map<Boolean, Set<String>> settledWithout = new java.util.HashMap<>();
  /** The cluster as it is, where this one is as it will be once the replaces waiting have drained; else null. */
  private final ConsolidationValidation asItIs;

  /**
   * The cluster a search's actions are checked on: as it will be once the replaces still waiting for their
   * replacements have drained. Their nodes are gone and their pods settling; their replacements take pods (those
   * not joined yet as the nodes they will be), as Karpenter schedules the pods of the nodes it is deleting with each
   * candidate's. On the cluster as it is, an action could count on the room those pods are about to take, and be
   * abandoned when they take it. An action must land on the cluster as it is too: a delete drains at once, while
   * those nodes still run their pods and their replacements take none.
   */
  ConsolidationValidation(Consolidator.View view, Map<String, NodePool> pools) {
    this(view, pools, Set.of(), true, true, true);
  }

  /**
   * As above, once {@code opened} (replacements whose startup taint the pass has just lifted, draining their nodes or
   * giving their replace up) are open: the mirror may show their taint a few seconds longer, and the pods a drain
   * evicts go there.
   */
  ConsolidationValidation(Consolidator.View view, Map<String, NodePool> pools, Set<String> opened) {
    this(view, pools, opened, true, true, true);
  }

  /** The cluster as it is now, as a replace whose replacements are ready is checked; see below. */
  ConsolidationValidation(Consolidator.View view, Map<String, NodePool> pools, Set<String> opening,
      boolean settling) {
    this(view, pools, opening, settling, false, settling);
  }

  /**
   * The cluster as it is now once the pods on their way to nodes of their own, and the pods a drain evicts, have
   * landed, the pods pending that no claim reserves still queued ahead: what a drift waits for (see
   * {@code ConsolidationService.check}).
   */
  static ConsolidationValidation afterArrivals(Consolidator.View view, Map<String, NodePool> pools,
      Set<String> opening) {
    return new ConsolidationValidation(view, pools, opening, false, false, true);
  }

  /**
   * @param opening the claims whose startup taint the action lifts (a replace's own replacements, checked before its
   *     drain), or the pass has just lifted; every other consolidation or drift replacement still held for its drain
   *     ({@link ReplacementHold}) takes no pod
   * @param settling whether the pods still settling queue too: those reserved on claims whose node has not joined
   *     yet (pending meanwhile) and those a drain evicts; without them, what the cluster will look like once they have
   *     landed where they are going
   * @param ahead whether the replaces still waiting count as done (see the two-argument constructor)
   * @param pendingQueued whether the pods pending that no claim reserves queue too (every constructor but
   *     {@link #afterArrivals} gives it as {@code settling})
   */
  private ConsolidationValidation(Consolidator.View view, Map<String, NodePool> pools, Set<String> opening,
      boolean settling, boolean ahead, boolean pendingQueued) {
    this.view = view;
    this.binder = new Binder(view.scoring(), 0);
    this.pools = pools;
    Set<String> draining = new HashSet<>();
    Set<String> openingNodes = new HashSet<>();
    Map<String, Claim> byId = new java.util.HashMap<>();
    view.claims().forEach(c -> byId.put(c.id(), c));
    Set<String> receiving = new HashSet<>();
    if (ahead) {
      Provisioner.waitingReplaces(view.claims()).forEach((replacement, olds) -> olds.forEach(old -> {
        if (old.nodeName() != null) {
          draining.add(old.nodeName());
          receiving.add(replacement.id());
        }
      }));
    }
    asItIs = receiving.isEmpty() ? null
        : new ConsolidationValidation(view, pools, opening, settling, false, pendingQueued);
    Set<String> mirrored = new HashSet<>();
    // a claim whose Registered came late or was lost names no node while the mirror shows its instance's
    Set<String> mirroredInstances = new HashSet<>();
    view.nodes().forEach(n -> {
      mirrored.add(n.node());
      mirroredInstances.add(n.instanceId());
    });
    // the nodes a drain is emptying now, not those of replaces still waiting (their pods are not evicted yet)
    Set<String> drainingNow = new HashSet<>();
    for (Claim c : view.claims()) {
      if (c.state() == ClaimState.Draining && c.nodeName() != null) {
        draining.add(c.nodeName());
        drainingNow.add(c.nodeName());
      }
      if (c.nodeName() != null && (opening.contains(c.id()) || receiving.contains(c.id()))) {
        openingNodes.add(c.nodeName());
      }
      if (c.nodeName() != null && !opening.contains(c.id()) && !receiving.contains(c.id())
          && ReplacementHold.holds(c, byId::get, view.now())) {
        held.add(c.nodeName());
      }
      if (receiving.contains(c.id()) && (c.nodeName() == null || !mirrored.contains(c.nodeName()))) {
        addOnItsWay(c);
      }
    }
    Map<String, PendingPod> running = Consolidator.runningByName(view);
    Set<String> stalled = Set.copyOf(stalledForNothing(view));
    for (Claim c : view.claims()) {
      if (stalled.contains(c.id())) {
        continue;
      }
      if (c.state().live() && (settling || c.nodeName() != null)) {
        for (PendingPod pod : Consolidator.onTheirWay(c, running, view.now())) {
          waiting.put(pod, c.nodeName());
        }
      } else if (c.state().live() && !receiving.contains(c.id()) && !mirroredInstances.contains(c.instanceId())) {
        // settled, the pods reserved on a node still coming run there: they count in their spreads, and what they
        // leave of its room is room. Left out, a zone spread whose evicted pods are on their way to other zones
        // looked skewed, and a replace waiting for them drained instead (generated seed 148: 13 pods relaunched)
        List<PendingPod> coming = Consolidator.onTheirWay(c, running, view.now());
        String name = coming.isEmpty() ? null : addOnItsWay(c);
        if (name != null) {
          coming.forEach(pod -> binder.bound(name, pod));
        }
      }
    }
    List<PendingPod> beingEvicted = new ArrayList<>();
    for (NodeState node : view.nodes()) {
      if (!draining.contains(node.node())) {
        if (settling && node.initializing() && !openingNodes.contains(node.node()) && !held.contains(node.node())) {
          initializing.add(node.node());
        }
        position.put(node.node(), present.size());
        present.put(node.node(), node);
        node.joinTo(binder, position.get(node.node()), initializing.contains(node.node()));
        if (held.contains(node.node())) {
          binder.cordon(node.node());
        }
      } else {
        if (settling) {
          evicted.addAll(node.displaced());
        }
        if (pendingQueued && drainingNow.contains(node.node())) {
          beingEvicted.addAll(node.displaced());
        }
      }
    }
    if (pendingQueued && !view.pendingPods().isEmpty()) {
      addPending(view, running, beingEvicted);
    }
  }

  /**
   * The pods pending that no claim on its way reserves and the mirror does not show running, less one of a kind for
   * each pod of a node being drained that the mirror still shows: its controller made it again under a new name,
   * which may be pending already while the mirror, written apart, still shows the one evicted. Counted twice, its
   * room was taken twice (and {@link #afterArrivals}, which takes the evicted pods as landed, must not queue the copy
   * either). A pod a budget still holds on the node is taken for evicted too: a pending pod of its kind is then left
   * out that is one more (the mirror does not say which pods are terminating).
   */
  private void addPending(Consolidator.View view, Map<String, PendingPod> running, List<PendingPod> beingEvicted) {
    Set<String> reserved = new HashSet<>();
    view.claims().stream().filter(c -> c.state().live() && Consolidator.stillComing(c, view.now()))
        .forEach(c -> reserved.addAll(c.pods()));
    Map<PendingPod.Workload, Integer> madeAgain = new java.util.HashMap<>();
    beingEvicted.forEach(p -> madeAgain.merge(p.workload(), 1, Integer::sum));
    for (PendingPod p : view.pendingPods()) {
      if (running.containsKey(p.name()) || reserved.contains(p.name())) {
        continue;
      }
      PendingPod.Workload kind = p.workload();
      Integer left = madeAgain.get(kind);
      if (left != null && left > 0) {
        madeAgain.put(kind, left - 1);
        continue;
      }
      pending.add(p);
    }
  }

  /**
   * Whether a claim still Launching {@link #STALLED} after it was last written holds none of the pods it reserved: not
   * one is pending in the forwarder's document written since (the ones that ran elsewhere the mirror shows running,
   * the rest were deleted). An invocation that died before CreateFleet leaves such a claim, resumed only by a
   * provisioner handed its pods, or closed at the launch timeout (15 minutes); meanwhile its pods' room, counted as
   * theirs, kept actions from landing (faulty-storm, fault seed 7: the fleet held as it was for 9 minutes). The claim
   * is left alone: were its pods still to come, the next document would show them pending. Only a whole document
   * (none left out for its size) written by a forwarder that had listed the pods {@link #STALLED} before says so: one
   * written just after a start may be of pods its handlers have not all seen yet.
   */
  private static boolean stalledForNothing(Claim c, dev.flotilla.contracts.PendingPods pending,
      Set<String> pendingNames) {
    if (pending == null || pending.leftOut() > 0 || pending.listedAt() == null
        || pending.listedAt().plus(STALLED).isAfter(pending.at()) || c.state() != ClaimState.Launching) {
      return false;
    }
    Instant written = c.updatedAt() != null ? c.updatedAt() : c.createdAt();
    return written != null && !written.plus(STALLED).isAfter(pending.at())
        && c.pods().stream().noneMatch(pendingNames::contains);
  }

  /**
   * The claims of the view {@link #stalledForNothing}, by id: what every check of the view leaves out, and part of a
   * plan's key.
   */
  static List<String> stalledForNothing(Consolidator.View view) {
    if (view.pending() == null) {
      return List.of();
    }
    Set<String> pendingNames = new HashSet<>();
    view.pendingPods().forEach(p -> pendingNames.add(p.name()));
    return view.claims().stream().filter(c -> stalledForNothing(c, view.pending(), pendingNames)).map(Claim::id)
        .toList();
  }

  /** How long a launch may go unrecorded before a claim whose pods none is pending is taken to hold none. */
  static final java.time.Duration STALLED = java.time.Duration.ofMinutes(2);

  /**
   * Whether every pod the removed nodes run lands on the nodes left and the replacements, and every pod a drain already
   * evicted that would land without the action still does.
   */
  boolean lands(List<ConsolidationPlan.Candidate> removed, List<NodeClaim> replacements) {
    return stranded(removed, replacements).isEmpty();
  }

  /**
   * The pods the removed nodes run that would not land on the nodes left and the replacements, by name, and the pods
   * a drain already evicted that the action leaves without room (they would land without it). Where they
   * queue matters (the first take the room they like best), and the cluster's scheduler takes them as their
   * controllers make them again, in an order no one sets: they are queued in the order the action lists their
   * nodes and, where that differs, in the mirror's order too, and each must land both times. Where the nodes they
   * go to score alike, the scheduler picks one of them at random, so a replace by several nodes sized tight lands
   * one way and strands a pod another: the replacements join in the plan's order and in the reverse order too, and
   * the pods must land both times. Checked in one order only, a replace by four nodes that landed when it was found
   * stranded a pod once they were ready, on a cluster that had not changed, and was abandoned and found again every
   * six minutes. A delete drains at once, perhaps before the Nominate binds the pods planned on nodes still
   * initializing: those pods then count in no spread yet (kube-scheduler scores a node without the pods nominated to
   * it), and the displaced pods must land that way too.
   */
  List<String> stranded(List<ConsolidationPlan.Candidate> removed, List<NodeClaim> replacements) {
    List<NodeState> listed = new ArrayList<>();
    Set<String> removing = new HashSet<>();
    for (ConsolidationPlan.Candidate c : removed) {
      NodeState node = present.get(c.state().node());
      if (node != null && removing.add(node.node())) {
        listed.add(node);
      }
    }
    List<NodeState> mirrored = present.values().stream().filter(n -> removing.contains(n.node())).toList();
    Set<String> stranded = strandedInBothOrders(listed, mirrored, replacements);
    if (replacements.size() > 1) {
      stranded.addAll(strandedIn(listed, replacements.reversed()));
    }
    if (replacements.isEmpty() && waitsOnInitializing()) {
      plannedUnbound = true;
      try {
        stranded.addAll(strandedInBothOrders(listed, mirrored, replacements));
      } finally {
        plannedUnbound = false;
      }
    }
    if (asItIs != null) {
      stranded.addAll(asItIs.stranded(removed, replacements));
    }
    return List.copyOf(stranded);
  }

  /** The pods stranded with the removed nodes' pods queued in the action's order and, where it differs, the mirror's. */
  private Set<String> strandedInBothOrders(List<NodeState> listed, List<NodeState> mirrored,
      List<NodeClaim> replacements) {
    Set<String> stranded = new java.util.LinkedHashSet<>(strandedIn(listed, replacements));
    if (!mirrored.equals(listed)) {
      stranded.addAll(strandedIn(mirrored, replacements));
    }
    return stranded;
  }

  private List<String> strandedIn(List<NodeState> gone, List<NodeClaim> replacements) {
    binder.startOver();
    // a drained node stays, cordoned and empty, until its instance is gone, and the cluster's scheduler counts it a
    // domain of every hard spread with none of the spread's pods: the pods made again meanwhile land only where
    // that lets them, perhaps in room another pod was checked into, and the rest once it is gone
    gone.forEach(node -> goneNow.add(node.node()));
    boolean staysDrained = gone.stream().anyMatch(node -> node.displaced().stream()
        .anyMatch(PendingPod::hasHardSpread));
    if (staysDrained) {
      gone.forEach(node -> {
        node.displaced().forEach(pod -> binder.delete(pod.name()));
        binder.cordon(node.node());
      });
    } else {
      gone.forEach(node -> binder.removeNode(node.node()));
    }
    List<String> added = new ArrayList<>();
    for (NodeClaim r : replacements) {
      String name = "replacement-" + added.size();
      if (addReplacement(name, r)) {
        added.add(name);
      }
    }
    List<String> displaced = new ArrayList<>();
    long order = enqueueSettling();
    for (NodeState node : gone) {
      for (PendingPod pod : node.displaced()) {
        binder.enqueue(new QueuedPod(pod, 0, order++));
        displaced.add(pod.name());
      }
    }
    Set<String> landed = new HashSet<>();
    binder.schedule().bound().forEach(b -> landed.add(b.pod()));
    if (staysDrained) {
      gone.forEach(node -> binder.removeNode(node.node()));
      binder.schedule().bound().forEach(b -> landed.add(b.pod()));
    }
    unqueue(displaced);
    goneNow.clear();
    added.forEach(binder::removeNode);
    // back where they were, first places first, so that each lands on its own
    gone.stream().sorted(java.util.Comparator.comparing(node -> position.get(node.node()))).forEach(node -> {
      node.joinTo(binder, position.get(node.node()), initializing.contains(node.node()));
      if (held.contains(node.node())) {
        binder.cordon(node.node());
      }
    });
    List<String> stranded = new ArrayList<>(displaced.stream().filter(p -> !landed.contains(p)).toList());
    // a pod a drain already evicted that the action leaves pending counts as the action's: the action removed the
    // room it was going to (queued ahead of the action's pods here, it may well come after them in the cluster's
    // queue and strand one of them instead). One that would stay pending without the action too is not the action's
    List<String> evictedLeft = evicted.stream().map(PendingPod::name).filter(p -> !landed.contains(p)).toList();
    if (!evictedLeft.isEmpty()) {
      Set<String> landsWithout = settledWithoutAction();
      evictedLeft.stream().filter(landsWithout::contains).forEach(stranded::add);
    }
    return stranded;
  }

  /**
   * The pods still settling that land on the cluster as it is, nothing removed and nothing opened: the same for every
   * action checked, so worked out once.
   */
  private Set<String> settledWithoutAction() {
    Set<String> known = settledWithout.get(plannedUnbound);
    if (known == null) {
      binder.startOver();
      enqueueSettling();
      Set<String> landed = new HashSet<>();
      binder.schedule().bound().forEach(b -> landed.add(b.pod()));
      unqueue(List.of());
      settledWithout.put(plannedUnbound, landed);
      known = landed;
    }
    return known;
  }

  /** Whether some pod is planned on a node still initializing (see {@link #stranded}). */
  private boolean waitsOnInitializing() {
    return waiting.values().stream().anyMatch(this::initializingHere);
  }

  /** Whether {@code node}, where a waiting pod is planned, is one still initializing that this check holds. */
  private boolean initializingHere(String node) {
    return node != null && initializing.contains(node) && binder.hasNode(node) && !goneNow.contains(node);
  }

  /**
   * Queues the pods still settling (reserved, then pending unreserved, then evicted), ahead of any an action
   * displaces, as the cluster's scheduler has them.
   */
  private long enqueueSettling() {
    long order = 0;
    for (Map.Entry<PendingPod, String> w : waiting.entrySet()) {
      PendingPod pod = w.getKey();
      if (initializingHere(w.getValue())) {
        // the Nominate still to come nominates it there, then lifts the taint: the node is its and no one else's.
        // Until then it is pending, its room kept on a node no displaced pod may take, counted in no spread
        if (!plannedUnbound) {
          binder.bound(w.getValue(), pod);
        }
        continue;
      }
      binder.enqueue(new QueuedPod(pod, 0, order++));
      if (w.getValue() != null) {
        binder.nominate(pod.name(), w.getValue());
      }
    }
    for (PendingPod pod : pending) {
      binder.enqueue(new QueuedPod(pod, 0, order++));
    }
    for (PendingPod pod : evicted) {
      binder.enqueue(new QueuedPod(pod, 0, order++));
    }
    return order;
  }

  /** Takes the pods a check queued (the displaced and those still settling) out of the binder again. */
  private void unqueue(List<String> displaced) {
    displaced.forEach(binder::delete);
    evicted.forEach(p -> binder.delete(p.name()));
    pending.forEach(p -> binder.delete(p.name()));
    waiting.keySet().forEach(p -> binder.delete(p.name()));
  }

  private boolean addReplacement(String name, NodeClaim r) {
    if (r.instanceTypes().isEmpty()) {
      return false;
    }
    InstanceType type = view.catalog().type(r.instanceTypes().getFirst().name());
    if (type == null) {
      return false;
    }
    join(name, type, r.zone(), r.capacityType(), r.nodePool());
    return true;
  }

  /**
   * A claim not joined yet (a replacement, or a launch whose pods are on their way), as the node it will be: its name
   * in the binder. Where its type or zone is not known (its launch has not settled), it is left out (null): the pods
   * waiting for it queue without its room or, in the view of the cluster once settled, are left out.
   */
  private String addOnItsWay(Claim c) {
    InstanceType type = c.instanceType() == null || c.zone() == null ? null : view.catalog().type(c.instanceType());
    if (type == null) {
      return null;
    }
    String name = "~on-its-way-" + c.id();
    join(name, type, c.zone(), c.capacityType(), c.nodePool());
    return name;
  }

  /**
   * A node that is to join, as the cluster's scheduler will have it: its type's allocatable, with the pods of the
   * DaemonSets that select it running. Given only the room they leave, its scores (the share of its allocatable in
   * use) differ from the joined node's, and a tight replace the check landed was then found stranding a pod when its
   * replacements were ready, on a cluster that had not changed, and abandoned every few minutes.
   */
  private void join(String name, InstanceType type, String zone, dev.flotilla.model.CapacityType capacityType,
      String nodePool) {
    Map<String, String> labels = labels(name, type, zone, capacityType, nodePool);
    NodePool pool = pools.get(nodePool);
    binder.addNode(name, labels, pool == null ? List.of() : pool.taints(),
        dev.flotilla.catalog.NodeCapacity.allocatable(type));
    // the DaemonSets the plan left room for, by the same rule (a DaemonSet kept to other zones counted too, as the
    // plan counts it)
    for (PendingPod ds : view.daemonSets()) {
      if (dev.flotilla.scheduling.DaemonSetPlacement.runsOn(ds, pool, labels)) {
        binder.bound(name, ds.toBuilder().name(ds.name() + "~" + name).build());
      }
    }
  }

  private Map<String, String> labels(String name, InstanceType type, String zone,
      dev.flotilla.model.CapacityType capacityType, String nodePool) {
    Map<String, String> labels = new LinkedHashMap<>(NodeLabels.of(type));
    labels.put(WellKnownLabels.ZONE, zone);
    NodeLabels.putRegion(labels, view.catalog().region());
    labels.put(WellKnownLabels.CAPACITY_TYPE, capacityType.label());
    labels.put(WellKnownLabels.HOSTNAME, name);
    NodePool pool = pools.get(nodePool);
    if (pool != null) {
      labels.put(WellKnownLabels.NODEPOOL, pool.name());
      labels.putAll(pool.labels());
    }
    return NodeLabels.withAliases(labels);
  }
}
