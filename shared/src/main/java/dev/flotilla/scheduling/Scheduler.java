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
import java.util.LinkedHashMap;
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
 * pinning shares of classes to zones; solve the fractional bound; pack; then re-choose each node as the cheapest
 * shape that holds what it got, and rank the alternatives for CreateFleet. The same input always gives the same plan.
 *
 * <p>This class runs the steps and groups classes for the bound; each step lives with one reason to change:
 * {@link NodeShapes} (shapes), {@link PodClasses} (classes, compatibility and why not), {@link Topology} and
 * {@link ZoneTopology} (topology), {@link FractionalBound} (the bound), {@link InFlightNodes} (in-flight claims),
 * {@link Packer} with {@link ShapeRanking}, {@link PatternPacking} and {@link OpenNode} (packing),
 * {@link PackingSelection} (which packing is kept), {@link PoolLimits} and {@link PoolFallbacks} (NodePool limits and
 * falling back to the next pool), and {@link ClaimBuilder} (claims for CreateFleet).
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

  public Scheduler() {
    this(Choice.CHEAPEST);
  }

  public Scheduler(Choice choice) {
    this(choice, Domains.ZONES_WITH_NODES);
  }

  public Scheduler(Choice choice, Domains domains) {
    this.choice = choice;
    this.domains = domains;
  }

  public Plan schedule(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains).plan(start, false, true);
  }

  /**
   * As {@link #schedule}, for a caller that reads only the plan's nodes, placements and price (consolidation's tries,
   * hundreds an hour): where zone topology pins shares of classes to zones, the packing follows the program of those
   * shares, and the plain bound beside it, solved only to be reported, is left out. The same plan, with
   * {@link Plan#lowerBoundPerHour()} not a number there.
   */
  public Plan placement(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains).plan(start, false, false);
  }

  /**
   * The fractional lower bound of {@code input}'s pods, as {@link #schedule} reports it, without packing them where
   * that cannot move it (one NodePool: pods the packing leaves out have no pool to fall back to, and only a fallback
   * solves the bound again): what charting the bound through a run needs, at a fraction of a plan's cost.
   */
  public double lowerBound(SchedulingInput input) {
    long start = System.nanoTime();
    return new Run(input, choice, domains).plan(start, true, true).lowerBoundPerHour();
  }

  /** One scheduling decision's working state. */
  private static final class Run {
    private final SchedulingInput input;
    private final Choice choice;
    private final Domains domains;
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

    Run(SchedulingInput input, Choice choice, Domains domains) {
      this.input = input;
      this.choice = choice;
      this.domains = domains;
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
      Topology topology = new Topology();
      List<PodClass> placeable = classes.stream().filter(c -> c.unschedulable == null).toList();
      topology.nodeConstraints(placeable,
          input.inFlight().stream().flatMap(n -> n.pods().stream()).toList());
      // zone affinity gathers its pods where the bound's shapes are sold: the bound of the classes as a whole (all
      // there is before zones are settled) says which those are
      Map<PodClass, BitSet> wholeShapes = new HashMap<>();
      FractionalBound.Result whole = hasZoneAffinity(placeable) ? wholeBound(placeable, wholeShapes) : null;
      java.util.function.ToDoubleBiFunction<PodClass, Integer> zoneWorth = whole == null ? null
          : (c, z) -> soldIn(whole, wholeShapes.get(c), z);
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
      Map<PodClass.Item, Integer> groupOf = groups(items, Map.of(), groupShapes, i -> false);
      List<BitSet> zonedShapes = new ArrayList<>();
      Map<PodClass.Item, Integer> zonedOf = items.stream().anyMatch(narrowed)
          ? groups(items, Map.of(), zonedShapes, narrowed) : null;
      // split by zone, the classes may outgrow the per-class program, whose assignment the packing follows
      boolean pinned = zonedOf != null && (boundClasses(items, zonedOf) <= FractionalBound.MAX_CLASSES
          || boundClasses(items, groupOf) > FractionalBound.MAX_CLASSES);
      List<BitSet> guideShapes = pinned ? zonedShapes : groupShapes;
      Map<PodClass.Item, Integer> guideOf = pinned ? zonedOf : groupOf;
      guideOf.forEach((i, g) -> i.group = g);
      Packer packer = new Packer(shapes, guideShapes, topology.groups.size(), dims.size(), limits);
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
          : pinned && !plainBound ? null : solveBound(items, groupOf, groupShapes, newNodePods, !pinned);
      if (boundOnly && pools.size() == 1) {
        return new Plan(List.of(), List.of(), unschedulable, 0, round(bound.bound()), round(bound.bound()),
            (System.nanoTime() - start) / 1_000_000, List.of());
      }
      // what plans keeping these zones can cost at least: the guide's optimum
      FractionalBound.Result guide = pinned ? solveBound(items, guideOf, guideShapes, newNodePods, true) : bound;
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
        Map<PodClass.Item, Integer> nextGroupOf = groups(next, Map.of(), nextGroups, i -> false);
        Map<PodClass.Item, Integer> counts = new HashMap<>();
        next.forEach(i -> counts.put(i, i.remaining));
        FractionalBound.Result nextBound = solveBound(next, nextGroupOf, nextGroups, counts, true);
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
        bound = solveBound(items, groups(items, poolsUsed, unionGroups, i -> false), unionGroups, newNodePods, false);
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
      // pods taken out for one rule may leave another's partner out: round after round until both hold
      for (int reported = -1; reported != unschedulable.size(); ) {
        reported = unschedulable.size();
        claims = keepHostnameAffinity(claims, placements);
        claims = keepZoneTopology(zoneTopology, claims, placements);
      }
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

    private static boolean hasZoneAffinity(List<PodClass> classes) {
      return classes.stream().anyMatch(c -> c.template.affinity().stream()
          .anyMatch(t -> t.topologyKey().equals(WellKnownLabels.ZONE)));
    }

    /** The bound of every class as a whole, before zone topology splits any; fills each class's bound shapes. */
    private FractionalBound.Result wholeBound(List<PodClass> placeable, Map<PodClass, BitSet> classShapes) {
      List<PodClass.Item> whole = new ArrayList<>();
      placeable.forEach(c -> whole.add(new PodClass.Item(whole.size(), c, c.zoneMask, c.capacityTypeMask, c.names)));
      // a class whose zones its heaviest pool does not sell has shares in lighter pools there (see PodClasses): as a
      // whole it may use every pool its shares may, so that the bound stays below any plan
      Map<PodClass, java.util.Set<Integer>> sharePools = new HashMap<>();
      for (PodClass c : placeable) {
        java.util.Set<Integer> ranks = new java.util.TreeSet<>();
        c.shapes.stream().forEach(s -> ranks.add(shapes.get(s).poolRank));
        if (ranks.size() > 1) {
          sharePools.put(c, ranks);
        }
      }
      List<BitSet> wholeShapes = new ArrayList<>();
      Map<PodClass.Item, Integer> groupOf = groups(whole, sharePools, wholeShapes, i -> false);
      Map<PodClass.Item, Integer> counts = new HashMap<>();
      whole.forEach(i -> {
        counts.put(i, i.remaining);
        classShapes.put(i.podClass, wholeShapes.get(groupOf.get(i)));
      });
      return solveBound(whole, groupOf, wholeShapes, counts, false);
    }

    /**
     * What the bound spends on the shapes of {@code compatible} that zone {@code z} sells, each weighed by how close
     * the zone's price is to its cheapest (spot prices differ by zone; on-demand prices do not).
     */
    private double soldIn(FractionalBound.Result bound, BitSet compatible, int z) {
      double spent = 0;
      for (int s = compatible.nextSetBit(0); s >= 0; s = compatible.nextSetBit(s + 1)) {
        NodeShape shape = shapes.get(s);
        if (!Double.isNaN(shape.zonePrice[z])) {
          spent += bound.nodes()[s] * shape.minPrice * (shape.minPrice / shape.zonePrice[z]);
        }
      }
      return spent;
    }

    /** How many classes the bound of these groups has: pods of one group with the same requests and caps. */
    private static long boundClasses(List<PodClass.Item> items, Map<PodClass.Item, Integer> groupOf) {
      return items.stream().map(i -> groupOf.get(i) + "/" + Arrays.toString(i.podClass.requests) + "/"
          + perNodeCaps(i.podClass)).distinct().count();
    }

    /**
     * The bound's groups: pods of one signature on the shapes of their pool (that of their shapes, with those of
     * {@code extraPools} added); the items {@code byZones} picks each get the group of their zones, on the shapes
     * those zones sell. Fills {@code groupShapes}; returns each item's group.
     */
    private Map<PodClass.Item, Integer> groups(List<PodClass.Item> items,
        Map<PodClass, java.util.Set<Integer>> extraPools, List<BitSet> groupShapes,
        java.util.function.Predicate<PodClass.Item> byZones) {
      Map<String, Integer> groupIds = new LinkedHashMap<>();
      Map<PodClass.Item, Integer> groupOf = new LinkedHashMap<>();
      for (PodClass.Item item : items) {
        PodClass c = item.podClass;
        java.util.TreeSet<Integer> ranks = new java.util.TreeSet<>();
        ranks.add(poolRank(item));
        ranks.addAll(extraPools.getOrDefault(c, java.util.Set.of()));
        long zoneMask = byZones.test(item) ? item.zoneMask : -1L;
        groupOf.put(item, groupIds.computeIfAbsent(c.signature + (c.relaxedShapes != null ? "~" + c.index : "") + "/"
            + ranks + "/" + zoneMask, k -> {
          BitSet bits = new BitSet(shapes.size());
          BitSet sig = c.relaxedShapes != null ? c.relaxedShapes : signatureShapes.get(c.signature);
          for (int s = sig.nextSetBit(0); s >= 0; s = sig.nextSetBit(s + 1)) {
            if (ranks.contains(shapes.get(s).poolRank) && (shapes.get(s).zoneMask & zoneMask) != 0) {
              bits.set(s);
            }
          }
          groupShapes.add(bits);
          return groupShapes.size() - 1;
        }));
      }
      return groupOf;
    }

    /**
     * The pool an item's new nodes come from: its class's heaviest, or, for a share zone topology pinned to zones that
     * pool does not sell, the heaviest that sells them (see {@link PodClasses}).
     */
    private int poolRank(PodClass.Item item) {
      BitSet own = item.podClass.shapes;
      for (int s = own.nextSetBit(0); s >= 0; s = own.nextSetBit(s + 1)) {
        if ((shapes.get(s).zoneMask & item.zoneMask) != 0
            && (item.capacityTypeMask & 1 << shapes.get(s).capacityType.ordinal()) != 0) {
          return shapes.get(s).poolRank;
        }
      }
      return shapes.get(own.nextSetBit(0)).poolRank;
    }

    /**
     * Solves the fractional bound for {@code counts} pods of each item, classes being pods of one group with the
     * same requests. With {@code assign}, each item learns its group, bound class and worth for the packing.
     */
    private FractionalBound.Result solveBound(List<PodClass.Item> items, Map<PodClass.Item, Integer> groupOf,
        List<BitSet> groupShapes, Map<PodClass.Item, Integer> counts, boolean assign) {
      // the bound's classes: pods of one group with the same requests and per-node caps, whatever else differs
      Map<String, Integer> lpClassIds = new LinkedHashMap<>();
      List<long[]> lpRequests = new ArrayList<>();
      List<Integer> lpGroups = new ArrayList<>();
      List<Long> lpCounts = new ArrayList<>();
      Map<PodClass.Item, Integer> boundClassOf = new HashMap<>();
      Map<List<Integer>, java.util.SortedSet<Integer>> capped = new LinkedHashMap<>();
      for (PodClass.Item item : items) {
        PodClass c = item.podClass;
        int group = groupOf.get(item);
        List<List<Integer>> perNode = perNodeCaps(c);
        int id = lpClassIds.computeIfAbsent(group + "/" + Arrays.toString(c.requests) + "/" + perNode, k -> {
          lpRequests.add(c.requests);
          lpGroups.add(group);
          lpCounts.add(0L);
          return lpRequests.size() - 1;
        });
        lpCounts.set(id, lpCounts.get(id) + counts.get(item));
        boundClassOf.put(item, id);
        perNode.forEach(cap -> capped.computeIfAbsent(cap, k -> new java.util.TreeSet<>()).add(id));
      }
      List<CoveringProgram.PerNodeCap> caps = new ArrayList<>();
      capped.forEach((cap, classes) -> caps.add(new CoveringProgram.PerNodeCap(cap.get(1),
          classes.stream().mapToInt(Integer::intValue).toArray())));
      FractionalBound.Result bound = FractionalBound.solve(shapes, groupShapes, lpRequests,
          lpGroups.stream().mapToInt(Integer::intValue).toArray(),
          lpCounts.stream().mapToLong(Long::longValue).toArray(), caps, dims.size());
      if (assign) {
        for (PodClass.Item item : groupOf.keySet()) {
          PodClass c = item.podClass;
          item.group = groupOf.get(item);
          item.boundClass = boundClassOf.get(item);
          double v;
          if (bound.podValues() != null && item.boundClass >= 0) {
            v = bound.podValues()[item.boundClass];
          } else {
            double[] prices = bound.prices()[item.group];
            v = 0;
            for (int r = 0; r < prices.length; r++) {
              v += c.requests[r] * prices[r];
            }
          }
          // a tiny size term orders pods the bound prices at zero
          item.value = v + 1e-12 * (c.requests[Dims.CPU] + c.requests[Dims.MEMORY] / 1e6);
        }
      }
      return bound;
    }

    /**
     * The per-node caps a class's pods keep among themselves, each as (topology group, most pods of the group on one
     * node): one for pods that repel their own group (hostname anti-affinity, host ports), maxSkew for a required
     * hostname spread over their own group, as the packing counts them ({@link Topology#allowedOn}).
     */
    private static List<List<Integer>> perNodeCaps(PodClass c) {
      List<List<Integer>> caps = new ArrayList<>();
      for (int g : c.repels) {
        if (Topology.contains(c.matches, g)) {
          caps.add(List.of(g, 1));
        }
      }
      for (int i = 0; i < c.capGroups.length; i++) {
        if (Topology.contains(c.matches, c.capGroups[i])) {
          caps.add(List.of(c.capGroups[i], c.caps[i]));
        }
      }
      return caps;
    }

    /**
     * Takes out of the plan the pods whose required hostname affinity the cluster's scheduler would refuse on their
     * node, and reports them. A node meets a term where it holds a pod the term selects that does not carry the term
     * itself (it binds regardless); where no such pod is anywhere (plan, in-flight room, cluster), the pods that select
     * their own kind may all go on one node, the first of them binding there as kube-scheduler lets the first pod of
     * such a group bind anywhere. The packing puts a pod only beside those it follows; this keeps what no packing
     * checks, round after round, as each pod taken out may leave another without its partner.
     */
    private List<NodeClaim> keepHostnameAffinity(List<NodeClaim> claims, List<InFlightPlacement> placements) {
      if (input.pods().stream().noneMatch(Scheduler::hasHostnameAffinity)) {
        return claims;
      }
      Map<String, PendingPod> byName = new HashMap<>();
      input.pods().forEach(p -> byName.put(p.name(), p));
      // each node's pods: a new node's, or an in-flight node's own and those placed on it
      List<List<PendingPod>> nodes = new ArrayList<>();
      claims.forEach(c -> nodes.add(c.pods().stream().map(byName::get).toList()));
      Map<String, List<PendingPod>> inFlightPods = new HashMap<>();
      input.inFlight().forEach(n -> inFlightPods.put(n.claimId(), n.pods()));
      for (InFlightPlacement placement : placements) {
        List<PendingPod> pods = new ArrayList<>(inFlightPods.getOrDefault(placement.claimId(), List.of()));
        placement.pods().forEach(n -> pods.add(byName.get(n)));
        nodes.add(pods);
      }
      java.util.Set<String> removed = new java.util.HashSet<>();
      for (boolean changed = true; changed; ) {
        changed = false;
        Map<Topology.Group, List<PendingPod>> seedNode = new HashMap<>();
        for (List<PendingPod> node : nodes) {
          for (PendingPod pod : node) {
            if (removed.contains(pod.name()) || !byName.containsKey(pod.name())) {
              continue;
            }
            for (Topology.Group term : Topology.hostnameAffinity(pod)) {
              if (!seedNode.containsKey(term)) {
                seedNode.put(term, seedNode(term, nodes, removed, byName));
              }
              if (!hasAnchor(term, node, removed, byName) && node != seedNode.get(term)) {
                removed.add(pod.name());
                changed = true;
                break;
              }
            }
          }
        }
      }
      if (removed.isEmpty()) {
        return claims;
      }
      removed.stream().sorted().forEach(p -> unschedulable.add(new Unschedulable(p, NO_AFFINE_NODE)));
      return withoutPods(claims, placements, removed);
    }

    /**
     * The one node where pods that select their own kind may start a group, or null: none where a pod the term
     * selects runs in the cluster or is on any node without carrying the term; else the node holding most of them.
     */
    private List<PendingPod> seedNode(Topology.Group term, List<List<PendingPod>> nodes,
        java.util.Set<String> removed, Map<String, PendingPod> pending) {
      if (!input.running().byZone(term::matches).isEmpty()) {
        return null;
      }
      List<PendingPod> seed = null;
      long most = 0;
      for (List<PendingPod> node : nodes) {
        if (hasAnchor(term, node, removed, pending)) {
          return null;
        }
        long members = node.stream().filter(p -> !removed.contains(p.name()) && term.matches(p)).count();
        if (members > most) {
          most = members;
          seed = node;
        }
      }
      return seed;
    }

    /**
     * Whether the node holds a pod the term selects that binds there regardless: one that does not carry the term, or
     * one already there (an in-flight node's own, not among the pending).
     */
    private static boolean hasAnchor(Topology.Group term, List<PendingPod> node, java.util.Set<String> removed,
        Map<String, PendingPod> pending) {
      for (PendingPod p : node) {
        if (!removed.contains(p.name()) && term.matches(p)
            && (!pending.containsKey(p.name()) || !Topology.hostnameAffinity(p).contains(term))) {
          return true;
        }
      }
      return false;
    }

    /**
     * Takes out of the plan the pods whose zone spread or zone affinity no longer holds because pods it counts were
     * left unplaced (NodePool limits), and reports them; pods in in-flight claims' room count where those claims are,
     * and claims left empty go.
     */
    private List<NodeClaim> keepZoneTopology(ZoneTopology zoneTopology, List<NodeClaim> claims,
        List<InFlightPlacement> placements) {
      Map<String, Integer> zoneOf = new HashMap<>();
      for (NodeClaim claim : claims) {
        int z = zoneIndex.get(claim.zone());
        claim.pods().forEach(p -> zoneOf.put(p, z));
      }
      Map<String, Integer> inFlightZone = new HashMap<>();
      input.inFlight().forEach(n -> inFlightZone.put(n.claimId(), zoneIndex.get(n.zone())));
      for (InFlightPlacement placement : placements) {
        int z = inFlightZone.get(placement.claimId());
        placement.pods().forEach(p -> zoneOf.put(p, z));
      }
      Map<String, Integer> typeOf = new HashMap<>();
      claims.forEach(c -> c.pods().forEach(p -> typeOf.put(p, c.capacityType().ordinal())));
      Map<String, Integer> inFlightType = new HashMap<>();
      input.inFlight().stream().filter(n -> n.capacityType() != null)
          .forEach(n -> inFlightType.put(n.claimId(), n.capacityType().ordinal()));
      placements.stream().filter(pl -> inFlightType.containsKey(pl.claimId()))
          .forEach(pl -> pl.pods().forEach(p -> typeOf.put(p, inFlightType.get(pl.claimId()))));
      // a pod taken out for one spread leaves the others that count it: round after round until both hold
      List<String> out = new ArrayList<>();
      List<String> capacityOut = new ArrayList<>();
      while (true) {
        List<String> capacity = zoneTopology.unbalancedCapacity(typeOf);
        capacity.forEach(zoneOf::remove);
        capacityOut.addAll(capacity);
        List<String> zone = zoneTopology.unbalanced(zoneOf);
        zone.forEach(typeOf::remove);
        out.addAll(zone);
        if (zone.isEmpty()) {
          break;
        }
      }
      if (out.isEmpty() && capacityOut.isEmpty()) {
        return claims;
      }
      for (String pod : capacityOut) {
        unschedulable.add(new Unschedulable(pod, "required capacity-type topology spread cannot be kept: pods it"
            + " counts are left unplaced (NodePool limits, or rules of their own)"));
      }
      for (String pod : out) {
        unschedulable.add(new Unschedulable(pod, "required zone topology cannot be kept: NodePool limits leave"
            + " pods its " + WellKnownLabels.ZONE + " spread or affinity counts on unplaced"));
      }
      java.util.Set<String> removed = new java.util.HashSet<>(out);
      removed.addAll(capacityOut);
      return withoutPods(claims, placements, removed);
    }

    /**
     * The claims without the pods named in {@code removed} (each claim's requests what it keeps, a claim left empty
     * gone); the in-flight placements lose them too.
     */
    private List<NodeClaim> withoutPods(List<NodeClaim> claims, List<InFlightPlacement> placements,
        java.util.Set<String> removed) {
      Map<String, PendingPod> byName = new HashMap<>();
      input.pods().forEach(p -> byName.put(p.name(), p));
      List<NodeClaim> kept = new ArrayList<>();
      for (NodeClaim claim : claims) {
        List<String> pods = claim.pods().stream().filter(p -> !removed.contains(p)).toList();
        if (pods.size() == claim.pods().size()) {
          kept.add(claim);
        } else if (!pods.isEmpty()) {
          Resources requests = Resources.NONE;
          for (String p : pods) {
            requests = requests.plus(byName.get(p).requests());
          }
          kept.add(new NodeClaim(claim.nodePool(), claim.zone(), claim.zones(), claim.capacityType(),
              claim.instanceTypes(), pods, requests, claim.allocatable()));
        }
      }
      placements.replaceAll(p -> p.pods().stream().noneMatch(removed::contains) ? p
          : new InFlightPlacement(p.claimId(), p.pods().stream().filter(n -> !removed.contains(n)).toList()));
      placements.removeIf(p -> p.pods().isEmpty());
      return kept;
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
