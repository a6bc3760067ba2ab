package dev.flotilla.scheduling;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decides which nodes to launch for pending pods: the cheapest mix of offerings that honours every pod's
 * requirements, tolerations and topology, within the NodePools' limits. Works on plain domain values only.
 *
 * <p>The steps: build the node shapes each NodePool allows (DaemonSet overhead taken off); group identical pods into
 * classes; find the shapes each class may use (its best-weighted NodePool, and for a zone spread's shares in zones
 * that pool does not sell, the best-weighted pool that does); settle zone-level topology by
 * pinning shares of classes to zones; solve the fractional bound; pack (a node opens from the heaviest pool of the pod
 * it is opened for, and its room then takes pods of any pool that admits it); then re-choose each node as the
 * cheapest shape of its pool that holds what it got, and rank the alternatives for CreateFleet. The same input always
 * gives the same plan.
 *
 * <p>This class runs the steps; each lives with one reason to change:
 * {@link NodeShapes} (shapes), {@link PodClasses} (classes, compatibility and why not), {@link Topology} and
 * {@link ZoneTopology} with {@link ZoneSpread}, {@link ZoneRules} and {@link RunningZoneCounts} (topology),
 * {@link BoundProblem} and {@link FractionalBound} (the bound), {@link InFlightNodes} (in-flight claims),
 * {@link Packer} (which nodes open) with {@link PackingStrategy}, {@link BoundFollowing}, {@link ShapeRanking} and
 * {@link PatternPacking}, {@link NodeFilling} (what a node takes) with {@link PodStreams} and {@link OpenNode},
 * {@link PackingSelection} (which packing is kept), {@link PoolLimits} and {@link PoolFallbacks} (NodePool limits and
 * falling back to the next pool), {@link ClaimBuilder} (claims for CreateFleet), and {@link PlanRepair} with
 * {@link ZoneRuleRepair} (what a plan must keep once packing left pods out).
 */
public final class Scheduler {

  /** How many instance types a claim offers CreateFleet. */
  public static final int MAX_INSTANCE_TYPES = 60;

  /** Which of the packings' plans is kept, among those that place the most pods. */
  public enum Choice {
    /** The cheapest: for provisioning. */
    CHEAPEST,
    /**
     * The one with the fewest new nodes, then the cheapest: for consolidation, where every new node is one more move
     * and a replacement by one node is preferred to a split.
     */
    FEWEST_NODES
  }

  /** Which zones a zone spread is balanced over. */
  public enum Domains {
    /**
     * In a running cluster, the zones that hold a node: the domains the cluster's scheduler counts when it binds the
     * pods, for provisioning, whose new nodes come up one by one.
     */
    ZONES_WITH_NODES,
    /**
     * Every zone some NodePool offers the pod a node in, as Karpenter counts them: for consolidation, whose
     * replacements open zones the cluster's scheduler then counts as domains holding none of the pods, so a plan
     * that left them out would send the pods it moves where the cluster's scheduler strands them.
     */
    OFFERED_ZONES
  }

  private final Choice choice;
  private final Domains domains;
  /** The pattern programs this scheduler solved lately, or null where it solves each afresh. */
  private final PatternOptima optima;

  public Scheduler() {
    this(Choice.CHEAPEST);
  }

  public Scheduler(Choice choice) {
    this(choice, Domains.ZONES_WITH_NODES);
  }

  public Scheduler(Choice choice, Domains domains) {
    this(choice, domains, null);
  }

  private Scheduler(Choice choice, Domains domains, PatternOptima optima) {
    this.choice = choice;
    this.domains = domains;
    this.optima = optima;
  }

  /**
   * A scheduler asked the same questions again and again (consolidation's tries: a node against the same room, pass
   * after pass), which keeps the last {@link PatternOptima#KEPT} pattern programs it solved and answers a program
   * asked again with the optimum kept: the same plans, for less CPU. One that plans new pods each time, or is timed
   * on the same input run after run (the bench), solves each program afresh.
   */
  public static Scheduler keepingSolvedPrograms(Choice choice, Domains domains) {
    return new Scheduler(choice, domains, new PatternOptima(PatternOptima.KEPT));
  }

  public Plan schedule(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains, optima).plan(start, false, true);
  }

  /**
   * As {@link #schedule}, for a caller that reads only the plan's nodes, placements and price (consolidation's tries,
   * hundreds an hour): where zone topology pins shares of classes to zones, the packing follows the program of those
   * shares, and the plain bound beside it, solved only to be reported, is left out. The same plan, with
   * {@link Plan#lowerBoundPerHour()} not a number there.
   */
  public Plan placement(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains, optima).plan(start, false, false);
  }

  /**
   * The fractional lower bound of {@code input}'s pods, as {@link #schedule} reports it, without packing them where
   * that cannot move it (one NodePool: pods the packing leaves out have no pool to fall back to, and only a fallback
   * solves the bound again): what charting the bound through a run needs, at a fraction of a plan's cost.
   */
  public double lowerBound(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains, optima).plan(start, true, true).lowerBoundPerHour();
  }

  /**
   * A lower bound on any plan of whole pods for {@code input}'s pods on new nodes ({@link WholePodBound}): where the
   * fractional bound a plan reports splits pods across nodes, this one keeps each pod on one node, so what a plan
   * costs over it is what its packing could still gain. Nodes are as the scheduler models them (their room less
   * every DaemonSet that may run on their pool, each class's required node affinity read as the scheduler reads it).
   * Not a number where there are no pods to place, or nodes in flight. For the bench: a program solved over every
   * shape, seconds for a few dozen kinds, not for a provisioner's invocation.
   */
  public double wholePodBound(SchedulingInput input) {
    return wholePodBound(input, List.of());
  }

  /**
   * As above, the program started from {@code nodes}, a plan of the same pods (its nodes are patterns, so the
   * program's first optimum is no dearer than that plan and its prices mean more from the first round; they bound
   * the same).
   */
  public double wholePodBound(SchedulingInput input, List<NodeClaim> nodes) {
    WholePodBound.Result result = new Run(input, choice, domains, optima).wholePodBound(nodes);
    return result == null ? Double.NaN : result.bound();
  }

  /** As above, with the program's optimum and ρ; null where there is no bound. */
  WholePodBound.Result wholePodBoundResult(SchedulingInput input, List<NodeClaim> nodes) {
    return new Run(input, choice, domains, optima).wholePodBound(nodes);
  }

  /** One scheduling decision's working state. */
  private static final class Run {
    private final SchedulingInput input;
    private final Choice choice;
    private final Domains domains;
    private final PatternOptima optima;
    private final List<String> zones;
    private final Map<String, Integer> zoneIndex = new HashMap<>();
    private final List<NodePool> pools;
    private final Dims dims;
    private final List<NodeShape> shapes = new ArrayList<>();
    private List<PodClass> classes;
    private List<BitSet> signatureShapes;
    private List<BitSet> signatureRequiredShapes;
    private final List<Unschedulable> unschedulable = new ArrayList<>();
    private final PoolLimits limits;
    private final List<PoolFallback> poolFallbacks = new ArrayList<>();
    private final ClaimBuilder claimBuilder;
    private final PackingSelection selection;

    Run(SchedulingInput input, Choice choice, Domains domains, PatternOptima optima) {
      this.input = input;
      this.choice = choice;
      this.domains = domains;
      this.optima = optima;
      this.zones = input.catalog().zones();
      for (int z = 0; z < zones.size(); z++) {
        zoneIndex.put(zones.get(z), z);
      }
      if (zones.size() > 63) {
        throw new IllegalArgumentException("at most 63 zones are supported, the catalog has " + zones.size());
      }
      List<NodePool> sorted = new ArrayList<>(input.pools());
      sorted.sort(Comparator.comparingInt(NodePool::weight).reversed().thenComparing(NodePool::name));
      this.pools = sorted;
      List<Resources> all = new ArrayList<>();
      input.pods().forEach(p -> all.add(p.requests()));
      input.daemonSets().forEach(p -> all.add(p.requests()));
      this.dims = new Dims(all);
      this.limits = new PoolLimits(input.poolUsage());
      this.claimBuilder = new ClaimBuilder(shapes, dims, zones, limits);
      this.selection = new PackingSelection(shapes, dims, limits, claimBuilder, choice, unschedulable);
    }

    /**
     * With {@code boundOnly}, where there is one NodePool the plan has no nodes, only the bound; without
     * {@code plainBound}, a bound the packing does not follow is not solved (not a number in the plan).
     */
    Plan plan(long start, boolean boundOnly, boolean plainBound) {
      NodeShapes.Built built = NodeShapes.build(input, pools, zones, zoneIndex, dims);
      shapes.addAll(built.shapes());
      claimBuilder.byPrice(built.byPrice());
      PodClasses podClasses = new PodClasses(input, pools, zones, shapes, dims);
      classes = podClasses.build(unschedulable);
      signatureShapes = podClasses.signatureShapes;
      signatureRequiredShapes = podClasses.signatureRequiredShapes;
      BoundProblem boundProblem = new BoundProblem(shapes, signatureShapes, dims);
      Topology topology = new Topology();
      List<PodClass> placeable = classes.stream().filter(c -> c.unschedulable == null).toList();
      topology.nodeConstraints(placeable,
          input.inFlight().stream().flatMap(n -> n.pods().stream()).toList());
      // zone affinity gathers its pods where the bound's shapes are sold: the bound of the classes as a whole (all
      // there is before zones are settled) says which those are
      Map<PodClass, BitSet> wholeShapes = new HashMap<>();
      FractionalBound.Result whole = hasZoneAffinity(placeable) ? boundProblem.whole(placeable, wholeShapes) : null;
      java.util.function.ToDoubleBiFunction<PodClass, Integer> zoneWorth = whole == null ? null
          : (c, z) -> boundProblem.soldIn(whole, wholeShapes.get(c), z);
      ZoneTopology zoneTopology = new ZoneTopology(shapes, zones, input.running(),
          input.inFlight().stream().flatMap(n -> n.pods().stream()).toList(),
          domains == Domains.OFFERED_ZONES, zoneWorth);
      Map<PodClass, Long> classZones = new HashMap<>();
      placeable.forEach(c -> classZones.put(c, c.zoneMask));
      List<PodClass.Item> items = zoneTopology.split(placeable, unschedulable);

      // where zone topology (spread, affinity) narrowed shares to fewer zones than their class may use, the packing
      // is guided by the program with each such share on the shapes its zones sell: the plain bound's values would
      // send pinned pods after shapes their zones do not sell. The bound reported stays the plain one
      java.util.function.Predicate<PodClass.Item> narrowed = i -> i.zoneMask != classZones.get(i.podClass);
      List<BitSet> groupShapes = new ArrayList<>();
      Map<PodClass.Item, Integer> groupOf = boundProblem.groups(items, Map.of(), groupShapes, i -> false);
      List<BitSet> zonedShapes = new ArrayList<>();
      Map<PodClass.Item, Integer> zonedOf = items.stream().anyMatch(narrowed)
          ? boundProblem.groups(items, Map.of(), zonedShapes, narrowed) : null;
      // split by zone, the classes may outgrow the per-class program, whose assignment the packing follows
      boolean pinned = zonedOf != null && (BoundProblem.classes(items, zonedOf) <= FractionalBound.MAX_CLASSES
          || BoundProblem.classes(items, groupOf) > FractionalBound.MAX_CLASSES);
      List<BitSet> guideShapes = pinned ? zonedShapes : groupShapes;
      Map<PodClass.Item, Integer> guideOf = pinned ? zonedOf : groupOf;
      guideOf.forEach((i, g) -> i.group = g);
      Packer packer = new Packer(shapes, guideShapes, topology.groups.size(), dims.size(), limits);
      packer.keepOptimaIn(optima);
      packer.prepare(items);
      // groups hostname affinity needs that have pods running: their first pod is bound already
      placeable.stream().flatMap(c -> Arrays.stream(c.needs).boxed()).distinct()
          .filter(g -> !input.running().byZone(topology.groups.get(g)::matches).isEmpty()).forEach(packer::seed);
      Map<String, OpenNode> inFlight = InFlightNodes.open(input.inFlight(), built.byOffering(), zoneIndex, dims,
          topology);
      packer.fillInFlight(List.copyOf(inFlight.values()));
      // what the bound covers: the pods in-flight room did not take
      Map<PodClass.Item, Integer> newNodePods = new HashMap<>();
      items.forEach(i -> newNodePods.put(i, i.remaining));
      // the bound of the classes as a whole stands for this one where no in-flight room took pods and zones took none
      // out (with a zone spread's shares in lighter pools, it lets the whole class use them: looser, still a bound)
      int placed = items.stream().mapToInt(i -> i.remaining).sum();
      FractionalBound.Result bound = whole != null && input.inFlight().isEmpty()
          && placed == placeable.stream().mapToInt(c -> c.names.size()).sum() && pinned ? whole
          : pinned && !plainBound ? null : boundProblem.solve(items, groupOf, groupShapes, newNodePods, !pinned);
      if (boundOnly && pools.size() == 1) {
        return new Plan(List.of(), List.of(), unschedulable, 0, round(bound.bound()), round(bound.bound()),
            (System.nanoTime() - start) / 1_000_000, List.of());
      }
      // what plans keeping these zones can cost at least: the guide's optimum
      FractionalBound.Result guide = pinned ? boundProblem.solve(items, guideOf, guideShapes, newNodePods, true)
          : bound;
      List<NodeClaim> claims = new ArrayList<>(selection.best(packer, guideShapes, topology, items, guide));
      // pods a NodePool's limits leave out fall back to the next pool by weight that admits them, as often as needed
      List<PodClass.Item> all = new ArrayList<>(items);
      Map<PodClass, java.util.Set<Integer>> poolsUsed = new HashMap<>();
      List<PodClass.Item> left = items;
      while (true) {
        List<PodClass.Item> next = new PoolFallbacks(shapes, signatureShapes, signatureRequiredShapes, limits,
            poolFallbacks).fallBack(left, poolsUsed);
        if (next.isEmpty()) {
          break;
        }
        List<BitSet> nextGroups = new ArrayList<>();
        Map<PodClass.Item, Integer> nextGroupOf = boundProblem.groups(next, Map.of(), nextGroups, i -> false);
        Map<PodClass.Item, Integer> counts = new HashMap<>();
        next.forEach(i -> counts.put(i, i.remaining));
        FractionalBound.Result nextBound = boundProblem.solve(next, nextGroupOf, nextGroups, counts, true);
        Packer nextPacker = new Packer(shapes, nextGroups, topology.groups.size(), dims.size(), limits);
        nextPacker.seedFrom(packer);
        nextPacker.prepare(next);
        claims.addAll(selection.best(nextPacker, nextGroups, topology, next, nextBound));
        all.addAll(next);
        left = next;
      }
      if (!poolsUsed.isEmpty() && bound != null) {
        // the bound lets each class that fell back use every pool it was planned on
        List<BitSet> unionGroups = new ArrayList<>();
        bound = boundProblem.solve(items, boundProblem.groups(items, poolsUsed, unionGroups, i -> false), unionGroups,
            newNodePods, false);
      }
      for (PodClass.Item item : all) {
        if (item.unplaced > 0) {
          String reason = item.noAffineNode ? NO_AFFINE_NODE : limits.reason(item.podClass, shapes);
          for (int i = 0; i < item.unplaced; i++) {
            unschedulable.add(new Unschedulable(item.names.get(item.nextName++), reason));
          }
        }
      }
      List<InFlightPlacement> placements = new ArrayList<>();
      inFlight.forEach((claim, node) -> {
        if (!node.items.isEmpty()) {
          placements.add(new InFlightPlacement(claim, ClaimBuilder.names(node)));
        }
      });
      claims = new PlanRepair(input, zoneIndex, unschedulable).keep(zoneTopology, claims, placements);
      unschedulable.sort(Comparator.comparing(Unschedulable::pod));
      double total = claims.stream().mapToDouble(NodeClaim::pricePerHour).sum();
      long millis = (System.nanoTime() - start) / 1_000_000;
      if (bound == null) {
        return new Plan(claims, placements, unschedulable, round(total), Double.NaN,
            poolsUsed.isEmpty() ? round(guide.bound()) : Double.NaN, millis, poolFallbacks);
      }
      double zoneBound = pinned && poolsUsed.isEmpty() ? Math.max(guide.bound(), bound.bound()) : bound.bound();
      return new Plan(claims, placements, unschedulable, round(total), round(bound.bound()), round(zoneBound), millis,
          poolFallbacks);
    }

    WholePodBound.Result wholePodBound(List<NodeClaim> nodes) {
      NodeShapes.Built built = NodeShapes.build(input, pools, zones, zoneIndex, dims);
      shapes.addAll(built.shapes());
      PodClasses podClasses = new PodClasses(input, pools, zones, shapes, dims);
      classes = podClasses.build(unschedulable);
      List<PodClass> placeable = classes.stream().filter(c -> c.unschedulable == null).toList();
      if (placeable.isEmpty() || !input.inFlight().isEmpty()) {
        // nodes in flight hold pods for nothing more: a bound of new nodes alone would not bound such a plan
        return null;
      }
      // only what every plan keeps: each class on the shapes of any pool its required node affinity and tolerations
      // admit (preferences dropped, as a plan may drop them), one to a node where it repels its own kind; zones,
      // spreads and pod affinity left out, which loosens the bound and keeps it valid
      new Topology().nodeConstraints(placeable, List.of());
      int k = placeable.size();
      long[][] requests = new long[k][];
      long[] zoneMasks = new long[k];
      int[] capacityTypes = new int[k];
      BitSet[] kindShapes = new BitSet[k];
      int[] demand = new int[k];
      int[] perNode = new int[k];
      for (int kind = 0; kind < k; kind++) {
        PodClass c = placeable.get(kind);
        requests[kind] = c.requests;
        zoneMasks[kind] = -1L;
        capacityTypes[kind] = -1;
        kindShapes[kind] = podClasses.signatureRequiredShapes.get(c.signature);
        demand[kind] = c.names.size();
        perNode[kind] = c.selfRepelling ? 1 : Integer.MAX_VALUE;
      }
      // the plan's nodes as patterns: each on its shape (type, capacity type, pool), its pods counted by class
      Map<String, Integer> kindOf = new HashMap<>();
      for (int kind = 0; kind < k; kind++) {
        for (String name : placeable.get(kind).names) {
          kindOf.put(name, kind);
        }
      }
      Map<String, NodeShape> shapeOf = new HashMap<>();
      for (NodeShape shape : shapes) {
        shapeOf.putIfAbsent(shape.type.name() + "/" + shape.capacityType + "/" + shape.pool.name(), shape);
      }
      List<PatternProgram.Pattern> seeds = new ArrayList<>();
      for (NodeClaim node : nodes) {
        NodeShape shape = shapeOf.get(node.instanceType() + "/" + node.capacityType() + "/" + node.nodePool());
        int[] counts = new int[k];
        boolean whole = shape != null;
        for (String pod : node.pods()) {
          Integer kind = kindOf.get(pod);
          if (kind == null || shape == null || !kindShapes[kind].get(shape.index)) {
            whole = false;
            break;
          }
          counts[kind]++;
        }
        if (whole) {
          seeds.add(new PatternProgram.Pattern(shape.index, counts, shape.zoneMask, shape.minPrice));
        }
      }
      return WholePodBound.solve(shapes, new PatternProgram.Kinds(requests, zoneMasks, capacityTypes, kindShapes,
          demand, perNode), seeds);
    }

    private static boolean hasZoneAffinity(List<PodClass> classes) {
      return classes.stream().anyMatch(c -> c.template.affinity().stream()
          .anyMatch(t -> t.topologyKey().equals(WellKnownLabels.ZONE)));
    }

  }

  /** Why a pod with required hostname affinity is left out: no node that holds a pod it follows has room for it. */
  static final String NO_AFFINE_NODE = "required pod affinity on " + WellKnownLabels.HOSTNAME + " cannot be met: no"
      + " node of this plan or in flight holds a pod it selects with room for it (a new node would hold none)";

  static boolean hasHostnameAffinity(PendingPod pod) {
    return pod.affinity().stream().anyMatch(t -> t.topologyKey().equals(WellKnownLabels.HOSTNAME));
  }

  static boolean allMatch(List<Requirement> reqs, Map<String, String> labels) {
    for (Requirement r : reqs) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  static boolean allMatchValue(List<Requirement> reqs, String value) {
    for (Requirement r : reqs) {
      if (!r.matchesValue(value)) {
        return false;
      }
    }
    return true;
  }

  static double round(double usd) {
    return Math.round(usd * 1e6) / 1e6;
  }
}
