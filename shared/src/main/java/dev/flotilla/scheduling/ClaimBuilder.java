package dev.flotilla.scheduling;

import dev.flotilla.model.Requirement;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

/**
 * Turns packed nodes into node claims: each node is re-chosen as the cheapest shape that holds what it got, and the
 * instance types that could hold it instead are ranked cheapest first for CreateFleet, honouring its NodePool's
 * {@code minValues}. Changes when what a claim offers CreateFleet changes.
 */
final class ClaimBuilder {
  private final List<NodeShape> shapes;
  private final Dims dims;
  private final List<String> zones;
  private final PoolLimits limits;
  private int[] byPrice;
  private int[][] byKind;

  ClaimBuilder(List<NodeShape> shapes, Dims dims, List<String> zones, PoolLimits limits) {
    this.shapes = shapes;
    this.dims = dims;
    this.zones = zones;
    this.limits = limits;
  }

  /** The names of the pods on {@code node}, taken from its items in order. */
  static List<String> names(OpenNode node) {
    List<String> pods = new ArrayList<>();
    for (int i = 0; i < node.items.size(); i++) {
      PodClass.Item item = node.items.get(i);
      for (int k = 0; k < node.itemCounts.get(i); k++) {
        pods.add(item.names.get(item.nextName++));
      }
    }
    return pods;
  }

  /**
   * A claim per node: each re-chosen as the cheapest shape that holds what it got (within the pools' limits), with up
   * to {@link Scheduler#MAX_INSTANCE_TYPES} compatible types ranked cheapest first. Pods of a node whose types cannot
   * honour its pool's {@code minValues} are reported in {@code unschedulable} instead.
   */
  List<NodeClaim> claims(List<OpenNode> nodes, List<Unschedulable> unschedulable) {
    List<NodeClaim> claims = new ArrayList<>();
    // every node's shape first, then each claim's types: a type is offered where it keeps the pool within its limits
    // in the node's place, counted on the shapes the other nodes end with, not on those later nodes had before
    // their own re-choice (one re-chosen cheaper and larger takes room an earlier claim's types were checked on)
    long[][] usedOf = new long[nodes.size()][];
    BitSet[] allowedOf = new BitSet[nodes.size()];
    int[] capacityTypesOf = new int[nodes.size()];
    for (int n = 0; n < nodes.size(); n++) {
      OpenNode node = nodes.get(n);
      long[] used = new long[dims.size()];
      for (int r = 0; r < used.length; r++) {
        used[r] = node.shape.room[r] - node.room[r];
      }
      BitSet allowed = (BitSet) node.items.getFirst().podClass.shapes.clone();
      int capacityTypes = 3;
      for (PodClass.Item item : node.items) {
        allowed.and(item.podClass.shapes);
        capacityTypes &= item.capacityTypeMask;
      }
      usedOf[n] = used;
      allowedOf[n] = allowed;
      capacityTypesOf[n] = capacityTypes;
      NodeShape current = node.shape;
      double currentPrice = current.price(node.zoneMask);
      for (int s : byPrice) {
        NodeShape shape = shapes.get(s);
        if (shape.minPrice >= currentPrice) {
          break;
        }
        // the node stays in its pool: a class's shapes span pools only for zones its heaviest pool does not sell
        if (shape.poolRank == node.shape.poolRank && fitsNode(shape, allowed, capacityTypes, node.zoneMask, used)) {
          limits.add(current, -1);
          if (limits.allows(shape) && shape.price(node.zoneMask) < currentPrice) {
            limits.add(shape, 1);
            current = shape;
            break;
          }
          limits.add(current, 1);
        }
      }
      node.shape = current;
    }
    for (int n = 0; n < nodes.size(); n++) {
      OpenNode node = nodes.get(n);
      long[] used = usedOf[n];
      BitSet allowed = allowedOf[n];
      int capacityTypes = capacityTypesOf[n];
      NodeShape current = node.shape;
      List<NodeShape> compatible = new ArrayList<>();
      // without minValues to honour, a claim offers the current shape and the cheapest others up to the cap: the
      // compatible shapes past that are never read
      int wanted = needsMinValues(current) ? Integer.MAX_VALUE : Scheduler.MAX_INSTANCE_TYPES;
      // CreateFleet may launch any type offered (the cheapest on demand, the one with capacity for spot): none may
      // take the pool past its limits in the current shape's place, as Karpenter filters a NodeClaim's types by the
      // pool's remaining resources. A cheaper type the limits kept the node from is offered no more, where it came
      // first and was what launched
      limits.add(current, -1);
      for (int s : sameKind(current)) {
        NodeShape shape = shapes.get(s);
        if (shape != current && fitsNode(shape, allowed, capacityTypes, node.zoneMask, used)
            && limits.allows(shape)) {
          compatible.add(shape);
          if (compatible.size() == wanted) {
            break;
          }
        }
      }
      limits.add(current, 1);
      List<NodeShape> chosen = new ArrayList<>(List.of(current));
      String unmet = flexibility(current, compatible, chosen);
      if (unmet != null) {
        for (String pod : names(node)) {
          unschedulable.add(new Unschedulable(pod, unmet));
        }
        limits.add(current, -1);
        continue;
      }
      // membership by index: a list's contains made this quadratic in the types offered
      BitSet taken = new BitSet(shapes.size());
      chosen.forEach(shape -> taken.set(shape.index));
      for (NodeShape shape : compatible) {
        if (chosen.size() == Scheduler.MAX_INSTANCE_TYPES) {
          break;
        }
        if (!taken.get(shape.index)) {
          chosen.add(shape);
          taken.set(shape.index);
        }
      }
      List<InstanceTypeOption> options = new ArrayList<>();
      for (NodeShape shape : chosen) {
        options.add(new InstanceTypeOption(shape.type.name(), Scheduler.round(shape.price(node.zoneMask))));
      }
      options.sort(Comparator.comparingDouble(InstanceTypeOption::pricePerHour)
          .thenComparing(o -> !o.name().equals(node.shape.type.name())).thenComparing(InstanceTypeOption::name));
      List<String> claimZones = new ArrayList<>();
      for (int z = 0; z < zones.size(); z++) {
        if ((node.zoneMask & current.zoneMask & (1L << z)) != 0) {
          claimZones.add(zones.get(z));
        }
      }
      List<String> pods = names(node);
      claims.add(new NodeClaim(current.pool.name(), zones.get(current.cheapestZone(node.zoneMask)), claimZones,
          current.capacityType, options, pods, dims.resources(used), dims.resources(current.room)));
    }
    return claims;
  }

  /**
   * The shapes' indexes cheapest first (then by type name and index), as built with them; and, from them, each pool
   * and capacity type's shapes in that order: a claim's alternatives are looked for among these only, and a full
   * catalog's other shapes were most of that search. The shapes are all built by then.
   */
  void byPrice(int[] order) {
    this.byPrice = order;
    int kinds = dev.flotilla.model.CapacityType.values().length;
    int ranks = 0;
    for (NodeShape s : shapes) {
      ranks = Math.max(ranks, s.poolRank + 1);
    }
    List<List<Integer>> lists = new ArrayList<>();
    for (int k = 0; k < ranks * kinds; k++) {
      lists.add(new ArrayList<>());
    }
    for (int s : byPrice) {
      NodeShape other = shapes.get(s);
      lists.get(other.poolRank * kinds + other.capacityType.ordinal()).add(s);
    }
    byKind = new int[lists.size()][];
    for (int k = 0; k < byKind.length; k++) {
      byKind[k] = lists.get(k).stream().mapToInt(Integer::intValue).toArray();
    }
  }

  /**
   * A builder like this one that counts nodes against {@code limits}: for a packing that runs beside others, each
   * with its own limits. The orders are shared, never changed once built.
   */
  ClaimBuilder with(PoolLimits limits) {
    ClaimBuilder copy = new ClaimBuilder(shapes, dims, zones, limits);
    copy.byPrice = byPrice;
    copy.byKind = byKind;
    return copy;
  }

  private int[] sameKind(NodeShape shape) {
    return byKind[shape.poolRank * dev.flotilla.model.CapacityType.values().length + shape.capacityType.ordinal()];
  }

  /** Whether {@link #flexibility} has a minValues requirement to honour for this shape. */
  private static boolean needsMinValues(NodeShape current) {
    for (Requirement r : current.pool.requirements()) {
      if (r.minValues() > 0 && current.labels.containsKey(r.key())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Makes {@code chosen} honour the pool's {@code minValues}: for each such requirement, the cheapest compatible
   * type of each missing value joins, before the rest go by price. Returns why the pods cannot have a node when the
   * compatible types do not offer enough distinct values, or null.
   */
  private static String flexibility(NodeShape current, List<NodeShape> compatible, List<NodeShape> chosen) {
    for (Requirement r : current.pool.requirements()) {
      if (r.minValues() <= 0 || !current.labels.containsKey(r.key())) {
        continue;
      }
      java.util.Set<String> values = new java.util.HashSet<>();
      chosen.forEach(c -> values.add(c.labels.get(r.key())));
      for (NodeShape shape : compatible) {
        if (values.size() >= r.minValues() || chosen.size() == Scheduler.MAX_INSTANCE_TYPES) {
          break;
        }
        if (values.add(shape.labels.get(r.key()))) {
          chosen.add(shape);
        }
      }
      if (values.size() < r.minValues()) {
        return "NodePool " + current.pool.name() + " asks for at least " + r.minValues() + " distinct " + r.key()
            + " values, but the instance types these pods fit offer " + values.size() + " " + values.stream()
            .sorted().toList();
      }
    }
    return null;
  }

  private static boolean fitsNode(NodeShape shape, BitSet allowed, int capacityTypes, long zoneMask, long[] used) {
    return allowed.get(shape.index) && (capacityTypes & (1 << shape.capacityType.ordinal())) != 0
        && (shape.zoneMask & zoneMask) != 0 && Dims.fits(used, shape.room);
  }
}
