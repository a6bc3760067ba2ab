package dev.flotilla.disruption;

import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.disruption.ConsolidationPlan.Candidate;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.scheduling.InFlightNode;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.PlacedPod;
import dev.flotilla.scheduling.RunningPods;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the one consolidation worth doing now among the actions a disruption method looks for (see
 * {@link ConsolidationService} for the methods' order): empty nodes; a node whose pods all fit in the spare room of
 * the others (delete); a node one cheaper node, or several much cheaper together, can replace (replace; where the
 * cluster's scheduler would strand pods across several, one node that holds them all); a group of
 * nodes whose pods fit in the others' spare room and at most one cheaper node (multi-node). Where pods would go is
 * decided by the provisioner's own {@link Scheduler}, with the nodes that stay as in-flight nodes, so provisioning
 * and consolidation never disagree, and then checked by the cluster's scheduler's rules
 * ({@link ConsolidationValidation}). It reads values only, no client; it remembers its last plan (below).
 *
 * <p>Cost: each single-node try is one scheduling of that node's pods against the others that have room for one
 * of them (and, where the cluster's scheduler would strand some, up to four more: with room for copies of those,
 * and as one node), at most {@link #SINGLE_TRIES} a pass (a node alike one already refused costs none), the next pass
 * going on with the nodes not tried yet; the replaces a pass finds are joined a run at a time, the run doubling
 * while it pays, each join one scheduling of their pods together (and up to three more with room for pods the
 * cluster's scheduler would strand); the multi-node search tries a group of up to {@link #MULTI_MAX} whole, then its
 * prefixes by binary search, stepping down further where a size needed many new nodes (a size whose shards alone
 * need more than one is refused without a scheduling, see {@link NewNodeFloor}); where replaces wait for their
 * replacements, one more scheduling a pass settles their nodes' pods ({@link Settled}). A pass over the same nodes,
 * claims and pools as the last one gives the last plan without scheduling again once every node has had its try
 * (the common case in a settled cluster, and the re-check before acting).
 */
public final class Consolidator {

  static final int SINGLE_TRIES = 25;
  /**
   * A pass that found a node to delete stops looking for more to delete with it after this many that would not go
   * with it: the candidates come fewest pods first, and each join tried is a check against the whole cluster.
   */
  static final int DELETE_JOINS_REFUSED = 3;
  static final int MULTI_MAX = 100;
  /** A replacement must save at least this much, so that price noise never churns nodes. */
  static final double MIN_SAVING_PER_HOUR = 0.001;
  /**
   * A replace must also save at least this share of what it removes: each is a launch, a drain and every pod of the
   * node started again, which a saving of a few percent does not pay for. A fixed amount alone let prices decide: with
   * spot at 0.7 of on-demand, fleet-500's shard nodes each saved $0.0016/h moving from m6g.large to c6g.large, and
   * consolidation spent every pass's budget on 25 of them (3% of their price) while the large nodes the scale-down
   * left half empty waited. Deletes save all they remove and are not held to it.
   */
  static final double MIN_SAVING_SHARE = 0.05;

  /** The least a replace of nodes priced {@code removedPerHour} in all must save. */
  static double minSaving(double removedPerHour) {
    return Math.max(MIN_SAVING_PER_HOUR, MIN_SAVING_SHARE * removedPerHour);
  }

  /** The least {@code plan} must save over nodes priced {@code removedPerHour}: a delete, the fixed amount alone. */
  private static double minSaving(double removedPerHour, Plan plan) {
    return plan.nodeClaims().isEmpty() ? MIN_SAVING_PER_HOUR : minSaving(removedPerHour);
  }
  /**
   * A node is replaced by several only when they save at least this share of its price: splitting is more moves
   * than a one-for-one swap, and is needed where a single node cannot keep the pods' zone spread.
   */
  static final double SPLIT_SAVING = 0.25;

  /** The least a node priced {@code price} must save where it is replaced by {@code newNodes} nodes (one or more). */
  private static double replaceSaving(double price, int newNodes) {
    return newNodes > 1 ? Math.max(minSaving(price), SPLIT_SAVING * price) : minSaving(price);
  }

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Consolidator.class);
  private final Scheduler scheduler = Scheduler.keepingSolvedPrograms(Scheduler.Choice.FEWEST_NODES,
      Scheduler.Domains.OFFERED_ZONES);
  /** Why the last {@link #simulate} gave no plan: every refused candidate is logged with it. */
  private String refusal;
  /** The fewest new nodes the last {@link #simulate}'s pods need ({@link NewNodeFloor}), where it counted them. */
  private int floor;
  /** Whether, where the last {@link #simulate} was refused by its {@link #floor}, other pods were beside those. */
  private boolean besideFloor;
  /**
   * The last plan per set of actions looked for: each disruption method keeps its own. A pass whose single-node
   * tries stopped at {@link #SINGLE_TRIES} with candidates left untried is not kept: the next pass goes on with them.
   */
  private final Map<Set<Action>, Map.Entry<Object, ConsolidationPlan>> last = new HashMap<>();
  /**
   * The claims the single-node search tried and refused since it last went through every candidate, each with the
   * share of its node's CPU and memory its pods asked for then. Karpenter's pass tries every candidate within a
   * timeout; this search tries {@link #SINGLE_TRIES} a pass, the untried first, so the nodes with many pods (last in
   * the order) are reached in a few passes instead of never. Within a round, a node whose pods have since freed at
   * least {@link #FREED_SHARE} of its CPU or memory is untried again: a large node refused while full and left half
   * empty by a scale-down is what a pass can save most on, and waiting for the round to end left hour-10k's
   * c6g.12xlarge nodes a quarter used to its end. A smaller dip (a rolling update's pod between its going and its
   * successor's landing, a DaemonSet's rollout) leaves the refusal, so that the churn of a busy cluster does not keep
   * the round from the nodes it has not tried. Held in memory: a new process starts a round afresh.
   */
  private final Map<String, Refusal> refusedSingles = new HashMap<>();

  /** How much of a refused node's CPU or memory its pods must free for it to be tried again in the same round. */
  static final double FREED_SHARE = 0.1;

  /** A single-node refusal: the shares of its node's CPU and memory the pods asked for when it was refused. */
  private record Refusal(double cpu, double memory) {
    static Refusal of(Candidate c) {
      return new Refusal(cpuUse(c), memoryUse(c));
    }

    /** Whether the node's pods have since freed at least {@link #FREED_SHARE} of its CPU or memory. */
    boolean freedBy(Candidate now) {
      return cpuUse(now) <= cpu - FREED_SHARE || memoryUse(now) <= memory - FREED_SHARE;
    }
  }
  /** Whether the last {@link #search} left single-node candidates untried. */
  private boolean singlesLeft;
  /** What every try of a pass reads of its view, worked out once per view. */
  private Seen seen;
  /** The cluster as kube-scheduler sees it, loaded at the first check of a search. */
  private ConsolidationValidation validation;
  /** Where the pods of the nodes a replace waits on settle ({@link Settled}), for the view {@link #settledFor}. */
  private Settled settled;
  private Seen settledFor;

  /**
   * What the decision reads: the node-state mirror, the claims, the pools, the catalog, the time, the DaemonSets,
   * the pods the forwarder last saw pending (null when it mirrored none), and how the cluster's scheduler ranks the
   * nodes a pod fits (the check places pods with it).
   */
  public record View(List<NodeState> nodes, List<Claim> claims, List<NodePool> pools, OfferingCatalog catalog,
      Instant now, List<PendingPod> daemonSets, dev.flotilla.contracts.PendingPods pending,
      dev.flotilla.binding.ScoringProfile scoring) {
    public View {
      nodes = List.copyOf(nodes);
      claims = List.copyOf(claims);
      pools = pools == null || pools.isEmpty() ? List.of(NodePool.defaultPool()) : List.copyOf(pools);
      daemonSets = daemonSets == null ? List.of() : List.copyOf(daemonSets);
      scoring = scoring == null ? dev.flotilla.binding.ScoringProfile.LeastAllocated : scoring;
    }

    /** A view of a cluster whose scheduler scores as kube-scheduler's default profile does (LeastAllocated). */
    public View(List<NodeState> nodes, List<Claim> claims, List<NodePool> pools, OfferingCatalog catalog,
        Instant now, List<PendingPod> daemonSets, dev.flotilla.contracts.PendingPods pending) {
      this(nodes, claims, pools, catalog, now, daemonSets, pending, null);
    }

    /** A view without the pending pods' mirror. */
    public View(List<NodeState> nodes, List<Claim> claims, List<NodePool> pools, OfferingCatalog catalog,
        Instant now, List<PendingPod> daemonSets) {
      this(nodes, claims, pools, catalog, now, daemonSets, null);
    }

    /** The pods the forwarder last saw pending; none when it mirrored none. */
    List<PendingPod> pendingPods() {
      return pending == null ? List.of() : pending.pods();
    }

    /** A view of a cluster that runs no DaemonSets. */
    public View(List<NodeState> nodes, List<Claim> claims, List<NodePool> pools, OfferingCatalog catalog,
        Instant now) {
      this(nodes, claims, pools, catalog, now, List.of());
    }

    /**
     * The one budget accounting every disruption method reads; the nodes whose mirrored Ready condition is not True
     * count as disrupted already.
     */
    DisruptionBudgets budgets() {
      Set<String> notReady = new HashSet<>();
      nodes.stream().filter(n -> !n.ready()).forEach(n -> notReady.add(n.node()));
      return DisruptionBudgets.of(pools, claims, notReady, now);
    }

    Map<String, NodePool> poolsByName() {
      Map<String, NodePool> byName = new HashMap<>();
      pools.forEach(p -> byName.put(p.name(), p));
      return byName;
    }
  }

  /**
   * The live claims by the node they run, the claims a live replacement replaces, and the live replacements whose
   * old node is still there (its pods on their way to them: a replacement looks empty until they land).
   */
  private record Owners(Map<String, Claim> byNode, Set<String> beingReplaced, Set<String> receiving) {
    static Owners of(View view) {
      Map<String, Claim> byNode = new HashMap<>();
      Set<String> beingReplaced = new HashSet<>();
      Set<String> live = new HashSet<>();
      for (Claim c : view.claims()) {
        if (c.state().live()) {
          live.add(c.id());
          if (c.nodeName() != null) {
            byNode.put(c.nodeName(), c);
          }
          beingReplaced.addAll(c.replaces());
        }
      }
      Set<String> receiving = new HashSet<>();
      for (Claim c : view.claims()) {
        if (c.state().live() && c.replaces().stream().anyMatch(live::contains)) {
          receiving.add(c.id());
        }
      }
      return new Owners(byNode, beingReplaced, receiving);
    }

    /** Why a node may not go because of a replace it is part of, or null. */
    String replacing(Claim claim) {
      if (beingReplaced.contains(claim.id())) {
        return "a replacement is already on its way";
      }
      if (receiving.contains(claim.id())) {
        return "it replaces a node whose pods are still to move to it";
      }
      return null;
    }
  }

  public ConsolidationPlan plan(View view) {
    return plan(view, java.util.EnumSet.allOf(Action.class));
  }

  /** The one consolidation worth doing now among the {@code looking} actions only (a disruption method's share). */
  public ConsolidationPlan plan(View view, Set<Action> looking) {
    Map<String, NodePool> pools = view.poolsByName();
    Owners owners = Owners.of(view);
    Map<String, Claim> byNode = owners.byNode();
    // empty nodes go under the budgets for Empty, the rest under those for Underutilized
    DisruptionBudgets budgets = view.budgets();
    Map<String, Integer> budget = budgets.remaining(DisruptionReason.Underutilized);
    Map<String, Integer> emptyBudget = budgets.remaining(DisruptionReason.Empty);

    List<Candidate> owned = new ArrayList<>();
    List<Candidate> eligible = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    Set<String> kept = dev.flotilla.provisioning.StaticCapacity.kept(view.claims(), view.pools());
    for (NodeState state : view.nodes()) {
      Claim claim = byNode.get(state.node());
      if (claim == null || claim.state() != ClaimState.Initialized) {
        continue;
      }
      Candidate candidate = new Candidate(state, claim);
      owned.add(candidate);
      if (kept.contains(claim.id())) {
        skipped.add(state.node() + ": static capacity of NodePool " + claim.nodePool());
        continue;
      }
      String blocker = blocker(candidate, pools.get(claim.nodePool()), owners,
          state.empty() ? emptyBudget : budget, view.now());
      if (blocker == null) {
        eligible.add(candidate);
      } else {
        skipped.add(state.node() + ": " + blocker);
      }
    }
    if (eligible.isEmpty()) {
      return ConsolidationPlan.none("no node may be consolidated now", skipped);
    }
    // the claims in flight, draining or just Ready and the pods pending say which pods are pending or leaving, and the
    // offerings what may be bought: a plan holds only while they stay as they were (a replace whose launch found no
    // capacity was otherwise tried again every pass, the offering it needs unavailable meanwhile)
    Object key = List.of(view.pools(), view.catalog().fingerprint(), owned.stream().map(c -> List.of(c.state(),
        c.claim().id(), c.claim().version())).toList(), eligible.stream().map(c -> c.claim().id()).toList(), budget,
        emptyBudget, looking, view.claims().stream().filter(c -> c.state().live() && (c.state() != ClaimState.Initialized
            || stillComing(c, view.now()) && !c.kinds().isEmpty())).map(c -> List.of(c.id(), c.version())).toList(),
        view.pendingPods(), ConsolidationValidation.stalledForNothing(view));
    Map.Entry<Object, ConsolidationPlan> cached = last.get(looking);
    if (cached != null && key.equals(cached.getKey())) {
      return cached.getValue();
    }
    ConsolidationPlan plan = search(view, pools, owned, eligible, skipped, budget, emptyBudget, looking);
    if (singlesLeft && plan.action() == Action.NONE) {
      last.remove(looking);
    } else {
      last.put(Set.copyOf(looking), Map.entry(key, plan));
    }
    return plan;
  }

  private ConsolidationPlan search(View view, Map<String, NodePool> pools, List<Candidate> owned,
      List<Candidate> eligible, List<String> skipped, Map<String, Integer> budget, Map<String, Integer> emptyBudget,
      Set<Action> looking) {
    validation = null;
    singlesLeft = false;

    // empty nodes: every one the budgets allow, at once
    Map<String, Integer> left = new HashMap<>(emptyBudget);
    List<Candidate> empty = new ArrayList<>();
    for (Candidate c : looking.contains(Action.DELETE_EMPTY) ? eligible : List.<Candidate>of()) {
      if (c.state().empty() && left.merge(c.claim().nodePool(), -1, Integer::sum) >= 0) {
        empty.add(c);
      }
    }
    if (!empty.isEmpty()) {
      return new ConsolidationPlan(Action.DELETE_EMPTY, empty, List.of(), List.of(),
          empty.stream().mapToDouble(Candidate::price).sum(), 0,
          empty.size() + " node(s) run no pods but DaemonSets'", skipped);
    }

    // each candidate's sort keys computed once, not in every comparison: a large cluster has a thousand candidates
    Map<Candidate, Integer> moving = new java.util.IdentityHashMap<>();
    Map<Candidate, Double> use = new java.util.IdentityHashMap<>();
    for (Candidate c : eligible) {
      moving.put(c, c.state().displaced().size());
      use.put(c, cpuUse(c));
    }
    List<Candidate> underused = eligible.stream()
        .filter(c -> pools.get(c.claim().nodePool()).disruption().consolidationPolicy()
            == NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized)
        .sorted(Comparator.comparingInt((Candidate c) -> moving.get(c))
            .thenComparing(Comparator.comparingDouble(Candidate::price).reversed()))
        .toList();
    List<ConsolidationPlan> replaces = new ArrayList<>();
    List<Candidate> singles = looking.contains(Action.DELETE) || looking.contains(Action.REPLACE)
        ? singlesInTurn(underused) : List.of();
    // more candidates than a few passes try: the idlest get the first tries, else the large nodes come last, many
    // passes later
    boolean idlestFirst = underused.size() > IDLEST_FIRST_ABOVE;
    if (idlestFirst) {
      singles = idlestFirst(singles);
    }
    // a node alike one refused this pass (same type, zone, pool, labels, pods but for names) would be refused the
    // same way, the cluster seen from it being the other's with two names swapped: it costs no try. 481 shards
    // alone on their nodes are a handful of tries, not 481
    Map<Alike, String> refusedAlike = new HashMap<>();
    // the deletes a pass finds go as one command: once a node's pods fit in the others' spare room, each next
    // candidate is tried with the nodes found so far (one scheduling, as a try alone is), and joins them where all
    // their pods still fit, within the pools' budgets. One delete a pass would take a minute a node where a storm or a
    // scale-down leaves several nodes of one or two pods, and the multi-node search, which takes the least used nodes
    // first, stops at any of them whose pods need a node of their own
    List<Candidate> deleting = new ArrayList<>();
    Plan deletion = null;
    Map<String, Integer> deleteRoom = new HashMap<>(budget);
    int joinsRefused = 0;
    int tries = 0;
    int turn = 0;
    for (; turn < singles.size() && tries < SINGLE_TRIES; turn++) {
      Candidate c = singles.get(turn);
      Alike alike = Alike.of(c);
      String same = refusedAlike.get(alike);
      if (same != null) {
        refuseSingle(c);
        refused("single", List.of(c), "alike a node refused: " + same);
        continue;
      }
      if (!deleting.isEmpty()) {
        if (joinsRefused >= DELETE_JOINS_REFUSED) {
          break;
        }
        if (deleteRoom.getOrDefault(c.claim().nodePool(), 0) > 0) {
          tries++;
          List<Candidate> more = new ArrayList<>(deleting);
          more.add(c);
          Plan grown = simulate(more, owned, view, false, false, p -> p.nodeClaims().isEmpty());
          if (grown != null && grown.nodeClaims().isEmpty()) {
            deleting = more;
            deletion = grown;
            deleteRoom.merge(c.claim().nodePool(), -1, Integer::sum);
          } else {
            joinsRefused++;
          }
        }
        continue;
      }
      tries++;
      // a plan that saves nothing is refused whatever the cluster's scheduler would do with it: not checked
      Plan plan = simulate(List.of(c), owned, view, true, false,
          p -> p.nodeClaims().isEmpty() || c.price() - p.totalPricePerHour() >= minSaving(c.price()));
      if (plan == null) {
        refuseSingle(c);
        refusedAlike.put(alike, refusal);
        refused("single", List.of(c), refusal);
        continue;
      }
      if (plan.nodeClaims().isEmpty()) {
        deleting.add(c);
        deletion = plan;
        deleteRoom.merge(c.claim().nodePool(), -1, Integer::sum);
        continue;
      }
      double price = plan.totalPricePerHour();
      int count = plan.nodeClaims().size();
      double saving = c.price() - price;
      if (saving >= replaceSaving(c.price(), count)) {
        replaces.add(new ConsolidationPlan(Action.REPLACE, List.of(c), plan.nodeClaims(),
            plan.inFlightPlacements(), c.price(), price, (count == 1 ? "one cheaper node (" : count
                + " nodes together cheaper (") + types(plan) + ") can run its pods", skipped));
      } else {
        String why = count + " replacement(s) at $" + Math.round(price * 1e4) / 1e4 + "/h save $"
            + Math.round(saving * 1e4) / 1e4 + "/h, too little";
        refuseSingle(c);
        refusedAlike.put(alike, why);
        refused("single", List.of(c), why);
      }
    }
    singlesLeft = turn < singles.size() && singles.subList(turn, singles.size()).stream()
        .anyMatch(c -> !refusedSingle(c));
    if (!deleting.isEmpty()) {
      int pods = deleting.stream().mapToInt(c -> c.state().displaced().size()).sum();
      ConsolidationPlan delete = new ConsolidationPlan(Action.DELETE, List.copyOf(deleting), List.of(),
          deletion.inFlightPlacements(), deleting.stream().mapToDouble(Candidate::price).sum(), 0,
          (deleting.size() == 1 ? "its " : "their ") + pods + " pod(s) fit in the spare room of other nodes", skipped);
      if (!idlestFirst || replaces.isEmpty()) {
        return delete;
      }
      // the idlest nodes were tried first: the replaces found before the first delete (a large node half empty) may
      // save more than deleting a few small nodes, which the next pass finds again
      ConsolidationPlan replace = together(replaces, owned, view, budget, skipped);
      return replace.savingPerHour() > delete.savingPerHour() ? replace : delete;
    }
    if (!replaces.isEmpty()) {
      return together(replaces, owned, view, budget, skipped);
    }

    // groups: least used first, the largest group one cheaper node can replace
    List<Candidate> byUse = underused.stream().sorted(Comparator.comparingDouble((Candidate c) -> use.get(c))).toList();
    List<Candidate> group = new ArrayList<>();
    Map<String, Integer> room = new HashMap<>(budget);
    for (Candidate c : looking.contains(Action.MULTI_NODE) ? byUse : List.<Candidate>of()) {
      if (group.size() < MULTI_MAX && room.merge(c.claim().nodePool(), -1, Integer::sum) >= 0) {
        group.add(c);
      }
    }
    // the largest group that works: the whole group first, then, as Karpenter searches, a binary search over the
    // shorter prefixes, each one scheduling, so a pass costs about log2 of the group's size in schedulings. Savings
    // are not monotonic in the size (two nodes may not pay for one replacement where three do), so the search may
    // miss a size between two that fail; the whole group is always tried. A size whose plan needs c new nodes where
    // one is allowed is about c - 1 nodes too many: the next size tried is no larger than that, where halving would
    // try sizes that need dozens (a group of a hundred nodes each holding a pod no other node may take). Where the
    // pods that keep their own kind off their node already need more than the one new node allowed (NewNodeFloor),
    // the size is refused without a scheduling, and the floor sets the step in place of a plan's count, one node more
    // where other pods are beside those it counts. That node is a guess, not a bound (the floor alone bounds the
    // step at k - floor + 1): the pods beside the shards often need a node too, and a step by the floor alone
    // missed the group below them. In a cluster of a thousand shard nodes, the whole group's scheduling (700 pods
    // against every node, about a second) was most of what the search cost a pass, and it could only be refused
    ConsolidationPlan best = null;
    int low = 2;
    int high = group.size();
    int next = high;
    for (boolean whole = true; low <= high; whole = false) {
      int k = whole ? high : Math.max(low, Math.min(next, (low + high) >>> 1));
      next = high;
      List<Candidate> nodes = group.subList(0, k);
      double removed = nodes.stream().mapToDouble(Candidate::price).sum();
      java.util.Optional<List<NodeClaim>> replacements;
      Plan plan = simulate(nodes, owned, view, false, true,
          p -> p.nodeClaims().size() <= 1 && removed - p.totalPricePerHour() >= minSaving(removed, p)
              && notRemovedType(p, nodes, view).isPresent());
      if (plan == null) {
        refused("multi", nodes, refusal);
        if (floor > 1) {
          next = k - floor + (besideFloor ? 0 : 1);
        }
      } else if (plan.nodeClaims().size() > 1) {
        refused("multi", nodes, plan.nodeClaims().size() + " replacements needed, at most one allowed");
        next = k - plan.nodeClaims().size() + 1;
      } else if (removed - plan.totalPricePerHour() < minSaving(removed, plan)) {
        refused("multi", nodes, "saves nothing");
      } else if ((replacements = notRemovedType(plan, nodes, view)).isEmpty()) {
        refused("multi", nodes, "its replacement would be no cheaper than a node of its type it removes: deleting the"
            + " others moves fewer pods");
      } else {
        best = new ConsolidationPlan(Action.MULTI_NODE, List.copyOf(nodes), replacements.get(),
            plan.inFlightPlacements(), removed, plan.totalPricePerHour(),
            k + " nodes' pods fit in " + (plan.nodeClaims().isEmpty() ? "the others' spare room"
                : "one cheaper node and the others' spare room"), skipped);
        if (whole) {
          break;
        }
        low = k + 1;
        continue;
      }
      high = k - 1;
    }
    return best != null ? best : ConsolidationPlan.none("no cheaper arrangement of the pods was found", skipped);
  }

  /**
   * A plan's replacements with the instance types that are a removed node's type, or dearer than the cheapest
   * removed node of such a type, left out (Karpenter's {@code filterOutSameType}): several nodes replaced by one of
   * their own types is the others deleted with more pods moved, its launch and drain for nothing (2 c6g.large for 1
   * c6g.large; a c7g.2xlarge and an m6g.large for a new c7g.2xlarge, three times in one run). Empty when a
   * replacement keeps no type, or fewer distinct values than its pool's {@code minValues}; a delete has nothing to
   * leave out.
   */
  private static java.util.Optional<List<NodeClaim>> notRemovedType(Plan plan, List<Candidate> removed, View view) {
    List<NodeClaim> kept = new ArrayList<>(plan.nodeClaims().size());
    for (NodeClaim replacement : plan.nodeClaims()) {
      double ceiling = Double.MAX_VALUE;
      for (Candidate c : removed) {
        for (var type : replacement.instanceTypes()) {
          if (type.name().equals(c.claim().instanceType())) {
            ceiling = Math.min(ceiling, c.price());
          }
        }
      }
      java.util.Optional<NodeClaim> cheaper = replacement.pricedUnder(ceiling);
      // as Karpenter filters with minValues: a claim left with fewer distinct values than its pool asks for is none
      if (cheaper.isEmpty() || !meetsMinValues(cheaper.get(), view)) {
        return java.util.Optional.empty();
      }
      kept.add(cheaper.get());
    }
    return java.util.Optional.of(kept);
  }

  /** Whether the claim's types still offer as many distinct values as each {@code minValues} of its pool asks. */
  private static boolean meetsMinValues(NodeClaim claim, View view) {
    NodePool pool = view.poolsByName().get(claim.nodePool());
    if (pool == null) {
      return true;
    }
    for (Requirement r : pool.requirements()) {
      if (r.minValues() <= 0) {
        continue;
      }
      Set<String> values = new HashSet<>();
      for (var option : claim.instanceTypes()) {
        var type = view.catalog().type(option.name());
        String value = type == null ? null : dev.flotilla.catalog.NodeLabels.of(type).get(r.key());
        if (value != null) {
          values.add(value);
        }
      }
      if (values.size() < r.minValues()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The candidates in the order this pass tries them: those not refused since the round began (or whose pods have
   * freed {@link #FREED_SHARE} of their node since), then the refused ones, each in the search's order (fewest pods
   * first). When every candidate has been refused, a new round begins; a pass that leaves none untried without
   * finding an action is kept as the last plan (above) until the cluster changes, as Karpenter marks a cluster
   * consolidated.
   */
  private List<Candidate> singlesInTurn(List<Candidate> underused) {
    Map<String, Candidate> current = new HashMap<>();
    underused.forEach(c -> current.put(c.claim().id(), c));
    refusedSingles.keySet().retainAll(current.keySet());
    if (refusedSingles.size() == current.size()) {
      // every candidate refused: a new round, in which the room any of them freed counts for all
      refusedSingles.clear();
    } else {
      refusedSingles.entrySet().removeIf(e -> e.getValue().freedBy(current.get(e.getKey())));
    }
    List<Candidate> turn = new ArrayList<>(underused.size());
    underused.stream().filter(c -> !refusedSingles.containsKey(c.claim().id())).forEach(turn::add);
    underused.stream().filter(c -> refusedSingles.containsKey(c.claim().id())).forEach(turn::add);
    return turn;
  }

  /** Counts the candidate refused in this round, with the shares of its node its pods ask for now. */
  private void refuseSingle(Candidate c) {
    refusedSingles.put(c.claim().id(), Refusal.of(c));
  }

  /** Whether the candidate was refused in this round and has not freed room since ({@link #singlesInTurn}). */
  private boolean refusedSingle(Candidate c) {
    return refusedSingles.containsKey(c.claim().id());
  }

  /** The most single-node tries a pass gives the idlest nodes first, see {@link #idlestFirst}. */
  static final int IDLEST_FIRST = 5;
  /**
   * Above this many candidates the idlest go first: the turn alone may take over four passes to try every one (nodes
   * alike one refused cost no try, so it may take fewer).
   */
  static final int IDLEST_FIRST_ABOVE = 4 * SINGLE_TRIES;

  /**
   * The candidates in turn, the {@link #IDLEST_FIRST} not refused this round with the most idle room in dollars (their
   * price times the share of CPU or memory, whichever is more used, that runs nothing) moved to the front. The turn
   * goes fewest pods first, so that deletes of small nodes go together; the large nodes come last that way, and a
   * cluster of a thousand nodes did not reach, in the 20 minutes after a scale-down, the c6g.12xlarge nodes it had
   * left half empty, the most a pass can save. Where a few passes try every candidate
   * ({@link #IDLEST_FIRST_ABOVE}), the order is the turn's alone: moved first there, large nodes were replaced where
   * deletes of small ones would have gone together, and small fleets ended further from the bound.
   */
  private List<Candidate> idlestFirst(List<Candidate> turn) {
    Map<Candidate, Double> idle = new java.util.IdentityHashMap<>();
    List<Candidate> untried = new ArrayList<>();
    for (Candidate c : turn) {
      if (!refusedSingle(c)) {
        idle.put(c, c.price() * (1 - Math.max(cpuUse(c), memoryUse(c))));
        untried.add(c);
      }
    }
    // sorted from the turn's order, which ties keep: the same cluster gives the same order every time
    List<Candidate> first = untried.stream()
        .sorted(Comparator.comparingDouble((Candidate c) -> idle.get(c)).reversed()).limit(IDLEST_FIRST).toList();
    List<Candidate> ordered = new ArrayList<>(first);
    Set<Candidate> moved = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    moved.addAll(first);
    turn.stream().filter(c -> !moved.contains(c)).forEach(ordered::add);
    return ordered;
  }

  /**
   * What a single-node try depends on, names aside: the node's offering, pool, labels (but its hostname and claim),
   * taints, allocatable, and its pods as kinds.
   */
  private record Alike(String instanceType, String zone, CapacityType capacityType, String pool,
      double price, Map<String, String> labels, List<Taint> taints, Resources allocatable,
      Map<PendingPod, Long> pods) {
    static Alike of(Candidate c) {
      Map<String, String> labels = new HashMap<>(c.state().labels());
      labels.remove(WellKnownLabels.HOSTNAME);
      labels.remove(WellKnownLabels.CLAIM);
      Map<PendingPod, Long> pods = c.state().pods().stream().collect(java.util.stream.Collectors.groupingBy(
          p -> p.pod().kind(), java.util.stream.Collectors.counting()));
      return new Alike(c.claim().instanceType(), c.claim().zone(), c.claim().capacityType(), c.claim().nodePool(),
          c.price(), labels, c.state().taints(), c.state().allocatable(), pods);
    }
  }

  /**
   * The replaces found one node at a time, taken together as far as they still pay together: the one that saves most,
   * then each of the others whose node, added, is still replaced by no more nodes than the replaces taken so far
   * would launch one by one and saves more, within the pools' budgets. Karpenter replaces one node a pass; after a
   * workload shrinks, a fleet of nodes sized for it would take as many passes (and a launch and a drain each, a minute
   * or two apart) to follow. A replace that splits its node (two smaller nodes for one) counts its own replacements:
   * held to no more nodes than it removed, the 10,000-pod hour's half-empty c6g.12xlarge nodes, each split in two, went
   * one a pass, and a quarter of an hour after the scale-down the fleet was still 8% above a fresh plan. Scheduled
   * together, the displaced pods are checked together ({@link ConsolidationValidation}), with room kept for those the
   * cluster's scheduler would strand as a single try keeps it, and the command starts as one; its replacements are
   * launched in parts, each node draining once its own part's are ready ({@link ConsolidationService}).
   */
  private ConsolidationPlan together(List<ConsolidationPlan> replaces, List<Candidate> owned, View view,
      Map<String, Integer> budget, List<String> skipped) {
    List<ConsolidationPlan> bySaving = replaces.stream()
        .sorted(Comparator.comparingDouble(ConsolidationPlan::savingPerHour).reversed()).toList();
    ConsolidationPlan best = bySaving.getFirst();
    // the new nodes the replaces taken so far would launch one by one
    int alone = best.replacements().size();
    Map<String, Integer> room = new HashMap<>(budget);
    room.merge(best.nodes().getFirst().claim().nodePool(), -1, Integer::sum);
    List<ConsolidationPlan> next = bySaving.subList(1, bySaving.size());
    // joined a run at a time, the run doubling while it pays and halving where it does not: each join is one
    // scheduling of every pod taken so far, so joining 40 replaces one at a time cost 40 schedulings of up to 40
    // nodes' pods, most of a pass in a cluster of a thousand nodes. A run of one is the rule for one node. A longer
    // run is held to its totals: no more new nodes than its replaces would launch one by one, and the least saving
    // of each of its nodes, a split's where the run adds more new nodes than it has nodes. So a run may take a node
    // whose split would not pay alone beside nodes that need no new node, and from there the command can differ
    // from what joins one at a time would give
    int run = 1;
    for (int at = 0; at < next.size(); ) {
      // the next replaces within the pools' budgets: one with no room now has none later, the room only shrinking
      Map<String, Integer> left = new HashMap<>(room);
      List<ConsolidationPlan> joining = new ArrayList<>();
      int end = at;
      for (; end < next.size() && joining.size() < run; end++) {
        ConsolidationPlan r = next.get(end);
        if (left.merge(r.nodes().getFirst().claim().nodePool(), -1, Integer::sum) >= 0) {
          joining.add(r);
        }
      }
      if (joining.isEmpty()) {
        break;
      }
      List<Candidate> nodes = new ArrayList<>(best.nodes());
      int most = alone;
      for (ConsolidationPlan r : joining) {
        nodes.add(r.nodes().getFirst());
        most += r.replacements().size();
      }
      double removed = nodes.stream().mapToDouble(Candidate::price).sum();
      double saved = best.savingPerHour();
      int before = best.replacements().size();
      int limit = most;
      // no more nodes than the replaces would launch one by one, and saving more than the replaces so far: where
      // the run adds more new nodes than it has nodes some are split, and each is held to a split's saving
      java.util.function.Predicate<Plan> pays = p -> {
        int added = p.nodeClaims().size() - before;
        double least = 0;
        for (ConsolidationPlan r : joining) {
          least += replaceSaving(r.nodes().getFirst().price(), added > joining.size() ? 2 : 1);
        }
        return p.nodeClaims().size() <= limit && removed - p.totalPricePerHour() >= saved + least;
      };
      Plan plan = simulate(nodes, owned, view, true, false, pays);
      if (plan != null && pays.test(plan)) {
        alone = most;
        best = new ConsolidationPlan(Action.REPLACE, List.copyOf(nodes), plan.nodeClaims(),
            plan.inFlightPlacements(), removed, plan.totalPricePerHour(), nodes.size() + " nodes, each replaceable by"
                + " a cheaper one, replaced together by " + plan.nodeClaims().size() + " (" + types(plan) + ")",
            skipped);
        room = left;
        at = end;
        run *= 2;
      } else if (joining.size() > 1) {
        run = joining.size() / 2;
      } else {
        if (plan == null) {
          refused("single, together", nodes, refusal);
        }
        at = end;
      }
    }
    return best;
  }

  private static String types(Plan plan) {
    return plan.nodeClaims().stream().map(n -> n.instanceTypes().getFirst().name()).distinct().sorted()
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /**
   * Whether a command found a while ago still holds on the cluster as it is now, as Karpenter validates one: its
   * nodes still there and still free to go (same claims, not blocked, within the budgets), and the cluster's
   * scheduler still landing their pods, as they run now, on the nodes left and the same replacements (checked as the
   * search checks, on the cluster as it is and as it will be once the replaces waiting have drained). The command
   * itself is not searched for again: a search on a cluster that moved by a pod may pick other nodes, which is no
   * reason to drop a command that still holds. The result's nodes are the fresh ones, to act on.
   *
   * @param opened replacements whose startup taint the pass lifted just before, draining their nodes or giving their
   *     replace up: open to every pod though the mirror may still show the taint
   */
  ConsolidationPlan recheck(View view, ConsolidationPlan plan, Set<String> opened) {
    Map<String, NodePool> pools = view.poolsByName();
    Owners owners = Owners.of(view);
    Map<String, Claim> byNode = owners.byNode();
    Map<String, NodeState> states = new HashMap<>();
    view.nodes().forEach(n -> states.put(n.node(), n));
    Map<String, Integer> budget = new HashMap<>(view.budgets().remaining(plan.action() == Action.DELETE_EMPTY
        ? DisruptionReason.Empty : DisruptionReason.Underutilized));
    List<Candidate> fresh = new ArrayList<>();
    for (Candidate c : plan.nodes()) {
      Claim claim = byNode.get(c.state().node());
      NodeState state = states.get(c.state().node());
      if (claim == null || state == null || !claim.id().equals(c.claim().id())
          || claim.state() != ClaimState.Initialized) {
        return ConsolidationPlan.none(c.state().node() + " is no longer there to consolidate", List.of());
      }
      if (plan.action() == Action.DELETE_EMPTY && !state.empty()) {
        return ConsolidationPlan.none(c.state().node() + " runs pods again", List.of());
      }
      Candidate now = new Candidate(state, claim);
      String blocker = blocker(now, pools.get(claim.nodePool()), owners, budget, view.now());
      if (blocker == null && budget.merge(claim.nodePool(), -1, Integer::sum) < 0) {
        blocker = "NodePool " + claim.nodePool() + "'s disruption budget is used up";
      }
      if (blocker != null) {
        return ConsolidationPlan.none(c.state().node() + ": " + blocker, List.of());
      }
      fresh.add(now);
    }
    List<String> stranded = new ConsolidationValidation(view, pools, opened).stranded(fresh, plan.replacements());
    if (!stranded.isEmpty()) {
      return ConsolidationPlan.none(leftPending(stranded), List.of());
    }
    return new ConsolidationPlan(plan.action(), fresh, plan.replacements(), plan.moves(), plan.removedPricePerHour(),
        plan.replacementPricePerHour(), plan.reason(), plan.skipped());
  }

  /** Why a node may not be consolidated now, or null. */
  private static String blocker(Candidate c, NodePool pool, Owners owners, Map<String, Integer> budget,
      Instant now) {
    if (pool == null) {
      return "NodePool " + c.claim().nodePool() + " is no longer configured";
    }
    if (c.state().doNotDisrupt()) {
      return "node is marked do-not-disrupt";
    }
    String replacing = owners.replacing(c.claim());
    if (replacing != null) {
      return replacing;
    }
    if (budget.getOrDefault(c.claim().nodePool(), 0) <= 0) {
      return "NodePool " + pool.name() + "'s disruption budget is used up";
    }
    Instant since = c.claim().updatedAt() == null ? Instant.EPOCH : c.claim().updatedAt();
    // a node just Ready still holds the reservations of the pods planned for it, which the cluster's scheduler has
    // not bound yet: it looks empty (or underused) only because they are on their way
    Set<String> bound = new HashSet<>();
    c.state().pods().forEach(p -> bound.add(p.pod().name()));
    if (since.plus(Provisioner.RESERVATION_GRACE).isAfter(now) && !bound.containsAll(c.claim().pods())) {
      return "pods planned for it are not bound yet";
    }
    Duration after = pool.disruption().consolidateAfter();
    if (since.plus(after).isAfter(now)) {
      return "consolidateAfter " + after.toSeconds() + "s has not passed";
    }
    for (NodeState.NodePod pod : c.state().pods()) {
      String b = pod.daemon() ? null : pod.blocker();
      if (b != null) {
        return b;
      }
    }
    return null;
  }

  /**
   * Where the pods of {@code removed} would go, with every other owned node as an in-flight node (all its pods,
   * DaemonSets' too, taking room). Null when some pod could go nowhere.
   */
  Plan simulate(List<Candidate> removed, List<Candidate> owned, View view) {
    return simulate(removed, owned, view, true, false, plan -> true);
  }

  /**
   * As above; {@code headroom} says whether a plan the cluster's scheduler would strand pods of is tried once more
   * with room kept for them (a single node's few pods: cheap; a group's, up to {@link #MULTI_MAX} nodes' worth, is
   * not, and the group's search goes on to a smaller group instead). With {@code oneNewNode} (a group, which may
   * have one new node), pods that need more by {@link NewNodeFloor} get null without a scheduling, the count in
   * {@link #floor}. A plan {@code worthChecking} turns down is returned unchecked: its caller refuses it anyway.
   */
  private Plan simulate(List<Candidate> removed, List<Candidate> owned, View view, boolean headroom,
      boolean oneNewNode, java.util.function.Predicate<Plan> worthChecking) {
    Set<String> gone = new HashSet<>();
    List<PendingPod> pods = new ArrayList<>();
    for (Candidate c : removed) {
      gone.add(c.claim().id());
      pods.addAll(c.state().displaced());
    }
    if (seen == null || seen.view() != view) {
      seen = Seen.of(view);
    }
    // the nodes a replace still waits on go once their replacements are ready, and their pods then take room in the
    // replacements and in the others' spare room: each try sees that room taken (see Settled)
    Settled settled = settled(owned, view);
    List<Candidate> replaced = new ArrayList<>();
    for (Candidate c : settled.going()) {
      if (gone.add(c.claim().id())) {
        replaced.add(c);
      }
    }
    // the pods of those nodes that were to settle on a node this try removes look for room with its own
    for (Candidate c : removed) {
      pods.addAll(settled.onto().getOrDefault(c.claim().id(), List.of()));
    }
    // a node with less room than the least any displaced pod asks for takes none of them: left out, it costs the
    // scheduling nothing, where a thousand full nodes and their pods' topology were most of a try
    Resources least = NewNodeFloor.least(pods);
    List<InFlightNode> stay = new ArrayList<>();
    List<Resources> free = new ArrayList<>();
    for (Staying node : settled.receiving()) {
      if (least.fitsIn(node.free())) {
        stay.add(node.node());
        free.add(node.free());
      }
    }
    for (Candidate c : owned) {
      if (!gone.contains(c.claim().id()) && c.claim().instanceType() != null) {
        Staying node = settled.staying(seen.staying(c));
        if (least.fitsIn(node.free())) {
          stay.add(node.node());
          free.add(node.free());
        }
      }
    }
    // a hundred shard nodes' pods need about a hundred new nodes where one is allowed: counted, not scheduled
    floor = oneNewNode ? NewNodeFloor.of(pods, stay, free) : 0;
    if (floor > 1) {
      besideFloor = NewNodeFloor.anySharing(pods);
      refusal = "at least " + floor + " new nodes needed (pods that keep their own kind off their node)";
      return null;
    }
    // the pools' usage without the removed nodes' claims, nor those of the nodes a replace waits on (their
    // replacements count already)
    List<Candidate> going = new ArrayList<>(removed);
    going.addAll(replaced);
    Map<String, Resources> usage = seen.poolUsageWithout(going);
    // a new node gives up what its DaemonSets take; the nodes that stay already list their DaemonSets' pods
    // zone spreads count the pods that stay where they run, as the cluster's scheduler will
    RunningPods running = seen.runningWithout(going);
    SchedulingInput input = new SchedulingInput(pods, view.pools(), view.catalog(), view.daemonSets(), usage, stay,
        running);
    Plan plan = scheduler.placement(input);
    if (!plan.unschedulable().isEmpty()) {
      refusal = "the plan places " + plan.unschedulable().size() + " displaced pod(s) nowhere ("
          + plan.unschedulable().getFirst().reason() + ")";
      return null;
    }
    if (!worthChecking.test(plan)) {
      // the caller refuses it for its count or price whatever the cluster's scheduler would do: a check of a group's
      // hundreds of pods against a thousand nodes is most of what such a try costs
      return plan;
    }
    if (validation == null) {
      validation = new ConsolidationValidation(view, view.poolsByName());
    }
    List<String> stranded = validation.stranded(removed, plan.nodeClaims());
    if (!stranded.isEmpty()) {
      // the plan packs tight where the cluster's scheduler may spread (LeastAllocated, the default profile): plan once
      // more with room for a second copy of each pod it stranded, and keep that plan if the cluster's scheduler then
      // places every pod
      // copies only help the pods the action moves; an evicted pod stranded is the action's removing its room
      boolean moved = headroom && pods.stream().anyMatch(p -> stranded.contains(p.name()));
      Set<String> strandedSoFar = new LinkedHashSet<>(stranded);
      Plan roomier = moved ? withHeadroom(input, pods, strandedSoFar, 1) : null;
      List<String> left = roomier == null ? List.of() : validation.stranded(removed, roomier.nodeClaims());
      if (roomier != null && left.isEmpty()) {
        return roomier;
      }
      // Karpenter's single-node replace: one node that holds every displaced pod, whichever the cluster's scheduler
      // puts there first. Those of a node after a scale-down (a cache pod beside web pods, a shard beside web pods)
      // are what a tight plan of several small nodes loses to LeastAllocated, which sends the first pods it places
      // to the emptiest new node
      Plan whole = headroom && removed.size() == 1 ? oneNode(input, removed.getFirst(), pods) : null;
      boolean wholeLands = whole != null && validation.stranded(removed, whole.nodeClaims()).isEmpty();
      if (wholeLands && worthChecking.test(whole)) {
        return whole;
      }
      // where one node for them all does not pay (a large node's web pods and the one shard that needs a node of its
      // own), more room for the stranded pods: an empty replacement draws the pods queued first (web pods, made again
      // by their ReplicaSet before the StatefulSet makes its shard) until it is about as full as the nodes with room,
      // and room for one copy is often theirs by then. The copies double while the plan still pays
      for (int copies = 2; roomier != null && worthChecking.test(roomier) && copies <= HEADROOM_COPIES;
          copies *= 2) {
        strandedSoFar.addAll(left);
        roomier = withHeadroom(input, pods, strandedSoFar, copies);
        left = roomier == null ? List.of() : validation.stranded(removed, roomier.nodeClaims());
        if (roomier != null && left.isEmpty()) {
          return roomier;
        }
      }
      if (wholeLands) {
        return whole;
      }
      // the pods named are the first the cluster's scheduler could not place, then the zones the plan's new nodes
      // go to
      refusal = leftPending(stranded) + " with " + plan.nodeClaims().size() + " replacement(s) in "
          + plan.nodeClaims().stream().map(NodeClaim::zone).toList();
      return null;
    }
    return plan;
  }

  /**
   * Where the pods of the nodes a replace waits on go when those nodes drain, worked out once per view: planned
   * alone by the scheduler, before any candidate's, onto the replacements (those in flight as the nodes they will be)
   * and the others' spare room. Each try then plans its own pods on the room they leave (and, where it removes a node
   * some of them were to settle on, those too), as Karpenter schedules the pods of the nodes it is deleting with
   * every candidate's. Counted free, that room was given to a second action while the first waited, and the second
   * was abandoned once the first drained, its replacement launched for nothing. Pods the plan finds no room for among
   * them are left out: the replace they wait on will be checked again before its drain.
   *
   * @param going the nodes the replaces wait on
   * @param onto the pods each node takes, by claim
   * @param receiving the replacements still in flight, as nodes that stay, with what they take
   */
  private record Settled(List<Candidate> going, Map<String, List<PendingPod>> onto, List<Staying> receiving) {
    static final Settled NONE = new Settled(List.of(), Map.of(), List.of());

    /** {@code node} with the pods that settle on it as well. */
    Staying staying(Staying node) {
      return withPods(node, onto);
    }

    static Staying withPods(Staying node, Map<String, List<PendingPod>> onto) {
      List<PendingPod> more = onto.get(node.node().claimId());
      if (more == null) {
        return node;
      }
      List<PendingPod> pods = new ArrayList<>(node.node().pods());
      pods.addAll(more);
      Resources free = node.free();
      for (PendingPod p : more) {
        free = free.minus(p.requests());
      }
      InFlightNode n = node.node();
      return new Staying(new InFlightNode(n.claimId(), n.nodePool(), n.instanceType(), n.zone(), n.capacityType(),
          pods), free);
    }
  }

  /** The {@link Settled} of this view, planned at its first try. */
  private Settled settled(List<Candidate> owned, View view) {
    if (settledFor == seen) {
      return settled;
    }
    settledFor = seen;
    settled = Settled.NONE;
    List<PendingPod> pods = new ArrayList<>();
    List<Candidate> going = new ArrayList<>();
    for (Candidate c : owned) {
      if (seen.leaving().contains(c.claim().id())) {
        pods.addAll(c.state().displaced());
        going.add(c);
      }
    }
    if (pods.isEmpty()) {
      settled = new Settled(going, Map.of(), List.of());
      return settled;
    }
    List<Staying> receiving = new ArrayList<>();
    List<InFlightNode> stay = new ArrayList<>();
    for (InFlightNode r : seen.receiving()) {
      receiving.add(new Staying(r, seen.receivingRoom().get(r.claimId())));
      stay.add(r);
    }
    for (Candidate c : owned) {
      if (!seen.leaving().contains(c.claim().id()) && c.claim().instanceType() != null) {
        stay.add(seen.staying(c).node());
      }
    }
    Plan plan = scheduler.placement(new SchedulingInput(pods, view.pools(), view.catalog(), view.daemonSets(),
        seen.poolUsageWithout(going), stay, seen.runningWithout(going)));
    Map<String, PendingPod> byName = new HashMap<>();
    pods.forEach(p -> byName.put(p.name(), p));
    Map<String, List<PendingPod>> onto = new HashMap<>();
    for (dev.flotilla.scheduling.InFlightPlacement placement : plan.inFlightPlacements()) {
      List<PendingPod> taken = placement.pods().stream().map(byName::get).filter(java.util.Objects::nonNull).toList();
      onto.computeIfAbsent(placement.claimId(), k -> new ArrayList<>()).addAll(taken);
    }
    settled = new Settled(going, onto, receiving.stream().map(r -> Settled.withPods(r, onto)).toList());
    return settled;
  }

  /** A node that stays, as the scheduling takes it, and the room its pods (and those on their way) leave. */
  private record Staying(InFlightNode node, Resources free) {}

  /**
   * @param runningPods the pods the mirror shows running, by name
   * @param placed each node's pods in its zone, by node (nodes without a zone label left out)
   * @param running the pods of {@code placed}, as zone spreads count them
   * @param poolUsage what the live claims count against their pools' limits
   * @param stayingByClaim each owned node as a node that stays, by claim, worked out at its first try
   * @param leaving the claims a live replacement stands in for whose nodes still run (Ready, not draining yet)
   * @param receiving those replacements still in flight, as nodes, with the pods already on their way to them
   * @param receivingRoom each one's room left, by claim: its type's allocatable less those pods
   */
  private record Seen(View view, Map<String, PendingPod> runningPods, Map<String, List<PlacedPod>> placed,
      RunningPods running, Map<String, Resources> poolUsage, Map<String, Staying> stayingByClaim,
      Set<String> leaving, Set<String> countedTillLaunched, List<InFlightNode> receiving,
      Map<String, Resources> receivingRoom) {

    /**
     * What the live claims count against their pools' limits, those of {@code going} left out, but for a node with
     * a replacement that has no instance yet: it runs on, and counts, until its replacements have theirs (a replace
     * whose launch died left it so for minutes, and the pool's room it stood for went to other launches: generated
     * seed 278 held its graviton pool at 118 CPUs of 96).
     */
    Map<String, Resources> poolUsageWithout(List<Candidate> going) {
      Map<String, Resources> usage = new HashMap<>(poolUsage);
      List<Claim> gone = going.stream().map(Candidate::claim).filter(c -> !countedTillLaunched.contains(c.id()))
          .toList();
      Provisioner.poolUsage(gone, view.catalog())
          .forEach((pool, less) -> usage.computeIfPresent(pool, (k, used) -> used.minus(less)));
      return usage;
    }

    /** The running pods as zone spreads count them, those of {@code going}'s nodes left out. */
    RunningPods runningWithout(List<Candidate> going) {
      Set<String> nodes = new LinkedHashSet<>();
      going.forEach(c -> nodes.add(c.state().node()));
      List<PlacedPod> leaving = new ArrayList<>();
      nodes.forEach(node -> leaving.addAll(placed.getOrDefault(node, List.of())));
      return running.without(leaving);
    }

    Staying staying(Candidate c) {
      return stayingByClaim.computeIfAbsent(c.claim().id(), id -> {
        List<PendingPod> taking = new ArrayList<>(c.state().pods().stream().map(NodeState.NodePod::pod).toList());
        taking.addAll(onTheirWay(c.claim(), runningPods, view.now()));
        Resources free = c.state().allocatable();
        for (PendingPod p : taking) {
          free = free.minus(p.requests());
        }
        return new Staying(new InFlightNode(c.claim().id(), c.claim().nodePool(), c.claim().instanceType(),
            c.claim().zone(), c.claim().capacityType(), taking), free);
      });
    }

    static Seen of(View view) {
      Map<String, List<PlacedPod>> placed = new java.util.LinkedHashMap<>();
      for (NodeState node : view.nodes()) {
        String zone = node.labels().get(WellKnownLabels.ZONE);
        if (zone != null) {
          placed.put(node.node(), node.pods().stream().map(p -> PlacedPod.on(p.pod(), zone, node.labels())).toList());
        }
      }
      List<PlacedPod> all = new ArrayList<>();
      placed.values().forEach(all::addAll);
      Map<String, PendingPod> running = runningByName(view);
      // the nodes a live replacement replaces that still run (Ready, not draining), and those replacements still on
      // their way, with what they already hold
      Set<String> leaving = new HashSet<>();
      Set<String> countedTillLaunched = new HashSet<>();
      List<InFlightNode> receiving = new ArrayList<>();
      Map<String, Resources> receivingRoom = new HashMap<>();
      for (Map.Entry<Claim, List<Claim>> waiting : Provisioner.waitingReplaces(view.claims()).entrySet()) {
        Claim c = waiting.getKey();
        waiting.getValue().forEach(old -> leaving.add(old.id()));
        if (c.instanceId() == null) {
          waiting.getValue().forEach(old -> countedTillLaunched.add(old.id()));
        }
        dev.flotilla.catalog.InstanceType type = c.instanceType() == null ? null
            : view.catalog().type(c.instanceType());
        if ((c.state() == ClaimState.Launched || c.state() == ClaimState.Registered) && type != null) {
          List<PendingPod> holding = onTheirWay(c, running, view.now());
          receiving.add(new InFlightNode(c.id(), c.nodePool(), c.instanceType(), c.zone(), c.capacityType(),
              holding));
          Resources room = dev.flotilla.catalog.NodeCapacity.allocatable(type);
          for (PendingPod p : holding) {
            room = room.minus(p.requests());
          }
          receivingRoom.put(c.id(), room);
        }
      }
      return new Seen(view, running, placed, RunningPods.of(all), Provisioner.poolUsage(
          view.claims().stream().filter(c -> c.state().live()).toList(), view.catalog()), new HashMap<>(),
          leaving, countedTillLaunched, receiving, receivingRoom);
    }
  }

  /** Whether a claim's reservations still hold pods on their way: its node in flight, or Ready within the grace. */
  static boolean stillComing(Claim claim, Instant now) {
    boolean inFlight = claim.state() == ClaimState.Launching || claim.state() == ClaimState.Launched
        || claim.state() == ClaimState.Registered;
    return inFlight || claim.state() == ClaimState.Initialized && claim.updatedAt() != null
        && claim.updatedAt().plus(Provisioner.RESERVATION_GRACE).isAfter(now);
  }

  /** Why an action is refused: the pods the cluster's scheduler would strand, the first three named. */
  static String leftPending(List<String> stranded) {
    return "the cluster's scheduler would leave " + stranded.size() + " pod(s) pending ("
        + String.join(", ", stranded.subList(0, Math.min(3, stranded.size()))) + ")";
  }

  /** The pods the node mirror shows running, by name. */
  static Map<String, PendingPod> runningByName(View view) {
    Map<String, PendingPod> running = new HashMap<>();
    view.nodes().forEach(n -> n.pods().forEach(p -> running.put(p.pod().name(), p.pod())));
    return running;
  }

  /**
   * The pods a claim reserves that are not running yet and are still on their way: its node in flight, or Ready for
   * less than {@link Provisioner#RESERVATION_GRACE} (the cluster's scheduler about to bind them there as nominated).
   * Their room is taken, though the mirror shows it free. Past the grace a reservation no longer holds a pod (it ran
   * elsewhere, was planned again, or is gone). Named after the claim, as the kinds keep one pod's name for a kind.
   */
  public static List<PendingPod> onTheirWay(Claim claim, Map<String, PendingPod> running, Instant now) {
    if (!stillComing(claim, now)) {
      return List.of();
    }
    List<PendingPod> pods = new ArrayList<>();
    List<dev.flotilla.claims.PodKind> kinds = claim.kindsStillToLand(running);
    for (int k = 0; k < kinds.size(); k++) {
      pods.addAll(kinds.get(k).pods("~reserved-" + claim.id() + "-" + k));
    }
    return pods;
  }

  /** Suffix of the copies {@link #withHeadroom} plans for room; never the name of a real pod. */
  private static final String HEADROOM = "~headroom";
  /** The name a node's pods planned as one take (never a real pod's: names have no {@code ~}). */
  private static final String ONE_NODE = "~one-node-";

  /** The most copies of a stranded pod {@link #withHeadroom} plans room for: 1, 2, then 4. */
  static final int HEADROOM_COPIES = 4;

  /**
   * The plan for {@code pods} and {@code copies} copies of each pod named in {@code stranded}, the copies then
   * dropped from it (the nodes keep the room they were sized for), or null when some pod could go nowhere.
   */
  private Plan withHeadroom(SchedulingInput input, List<PendingPod> pods, Set<String> stranded, int copies) {
    List<PendingPod> more = new ArrayList<>(pods);
    for (PendingPod p : pods) {
      for (int copy = 0; copy < copies && stranded.contains(p.name()); copy++) {
        // room alone: the copy selects and is selected by no topology rule
        more.add(new PendingPod(p.name() + HEADROOM + copy, p.namespace(), Map.of(), p.requests(),
            p.nodeSelector(), p.requiredTerms(), p.preferredTerms(), p.tolerations(), List.of(), List.of(),
            List.of(), Set.of(), p.volumeZones(), p.ownerKind(), false));
      }
    }
    Plan plan = scheduler.placement(new SchedulingInput(more, input.pools(), input.catalog(), input.daemonSets(),
        input.poolUsage(), input.inFlight(), input.running()));
    if (!plan.unschedulable().isEmpty()) {
      return null;
    }
    List<NodeClaim> claims = plan.nodeClaims().stream().map(c -> new NodeClaim(c.nodePool(), c.zone(), c.zones(),
        c.capacityType(), c.instanceTypes(), c.pods().stream().filter(n -> !n.contains(HEADROOM)).toList(),
        c.requests(), c.allocatable())).toList();
    List<dev.flotilla.scheduling.InFlightPlacement> placements = plan.inFlightPlacements().stream()
        .map(f -> new dev.flotilla.scheduling.InFlightPlacement(f.claimId(),
            f.pods().stream().filter(n -> !n.contains(HEADROOM)).toList()))
        .filter(f -> !f.pods().isEmpty()).toList();
    return new Plan(claims, placements, plan.unschedulable(), plan.totalPricePerHour(), plan.lowerBoundPerHour(),
        plan.zoneBoundPerHour(), plan.solveMillis(), plan.poolFallbacks());
  }

  /**
   * The cheapest single node, in the candidate's zone, capacity type and NodePool, that holds every pod it runs: the
   * pods planned as one, with each one's node selector and, of its required node affinity, the first term the
   * candidate meets (the one it is known to run under). Null where no type fits.
   */
  Plan oneNode(SchedulingInput input, Candidate candidate, List<PendingPod> pods) {
    Map<String, String> labels = candidate.state().labels();
    List<Requirement> term = new ArrayList<>(List.of(
        Requirement.in(WellKnownLabels.ZONE, candidate.claim().zone()),
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, candidate.claim().capacityType().label()),
        Requirement.in(WellKnownLabels.NODEPOOL, candidate.claim().nodePool())));
    Map<String, String> selector = new HashMap<>();
    Set<Toleration> tolerations = new LinkedHashSet<>();
    Resources requests = Resources.NONE;
    for (PendingPod p : pods) {
      requests = requests.plus(p.requests());
      selector.putAll(p.nodeSelector());
      // the pool is pinned, so no taint beyond those every pod here already tolerates is met
      tolerations.addAll(p.tolerations());
      if (!p.requiredTerms().isEmpty()) {
        List<Requirement> met = p.requiredTerms().stream()
            .filter(t -> t.stream().allMatch(r -> r.matches(labels))).findFirst().orElse(null);
        if (met == null) {
          return null;
        }
        term.addAll(met);
      }
    }
    PendingPod all = PendingPod.builder(pods.getFirst().namespace() + "/" + ONE_NODE + candidate.state().node())
        .requests(requests).nodeSelector(selector).requiredTerms(List.of(term))
        .tolerations(List.copyOf(tolerations)).build();
    Plan plan = scheduler.placement(new SchedulingInput(List.of(all), input.pools(), input.catalog(),
        input.daemonSets(), input.poolUsage(), List.of(), input.running()));
    if (!plan.unschedulable().isEmpty() || plan.nodeClaims().size() != 1) {
      return null;
    }
    NodeClaim one = plan.nodeClaims().getFirst();
    NodeClaim claim = new NodeClaim(one.nodePool(), one.zone(), one.zones(), one.capacityType(), one.instanceTypes(),
        pods.stream().map(PendingPod::name).toList(), requests, one.allocatable());
    return new Plan(List.of(claim), List.of(), List.of(), plan.totalPricePerHour(), plan.lowerBoundPerHour(),
        plan.zoneBoundPerHour(), plan.solveMillis(), plan.poolFallbacks());
  }

  /**
   * A candidate (or group) a search tried and turned down, and why: one structured line each, at debug level since
   * a pass tries up to {@link #SINGLE_TRIES} nodes a minute; the pass's own line says what it did.
   */
  private static void refused(String method, List<Candidate> nodes, String why) {
    LOG.atDebug().setMessage("consolidation candidate refused").addKeyValue("method", method)
        .addKeyValue("nodes", nodes.stream().map(c -> c.state().node()).toList())
        .addKeyValue("pods", nodes.stream().mapToInt(c -> c.state().displaced().size()).sum())
        .addKeyValue("why", why).log();
  }

  private static double cpuUse(Candidate c) {
    return use(c, dev.flotilla.model.Resources.CPU);
  }

  private static double memoryUse(Candidate c) {
    return use(c, dev.flotilla.model.Resources.MEMORY);
  }

  /** The share of the node's allocatable {@code resource} its pods ask for. */
  private static double use(Candidate c, String resource) {
    long allocatable = c.state().allocatable().get(resource);
    long used = c.state().pods().stream().mapToLong(p -> p.pod().requests().get(resource)).sum();
    return allocatable <= 0 ? 1 : (double) used / allocatable;
  }
}
