package dev.flotilla.scheduling;

import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
  /**
   * Per class, {@link #shapesOn}'s answer, built once a {@link #claims} call: a NodePool fallback changes a class's
   * shapes between the calls of one decision.
   */
  private final Map<PodClass, BitSet> runsOn = new java.util.IdentityHashMap<>();

  ClaimBuilder(List<NodeShape> shapes, Dims dims, List<String> zones, PoolLimits limits) {
    this.shapes = shapes;
    this.dims = dims;
    this.zones = zones;
    this.limits = limits;
  }

  /**
   * The shapes a class's pods may have under them: those of its own pools and any other that admits it, as it may
   * fill the room of a node opened for another pool's pods (only the node's pool's count, see {@link #claims}).
   */
  private BitSet shapesOn(PodClass c) {
    return runsOn.computeIfAbsent(c, k -> {
      BitSet all = (BitSet) k.admits.clone();
      all.or(k.shapes);
      return all;
    });
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
    runsOn.clear();
    List<NodeClaim> claims = new ArrayList<>();
    // every node's shape first, then each claim's types, counted on the shapes the other nodes end with, not on those
    // later nodes had before their own re-choice (one re-chosen cheaper and larger takes room an earlier claim's
    // types were checked on)
    long[][] usedOf = new long[nodes.size()][];
    BitSet[] allowedOf = new BitSet[nodes.size()];
    int[] capacityTypesOf = new int[nodes.size()];
    for (int n = 0; n < nodes.size(); n++) {
      OpenNode node = nodes.get(n);
      long[] used = new long[dims.size()];
      for (int r = 0; r < used.length; r++) {
        used[r] = node.shape.room[r] - node.room[r];
      }
      BitSet allowed = (BitSet) shapesOn(node.items.getFirst().podClass).clone();
      int capacityTypes = 3;
      for (PodClass.Item item : node.items) {
        allowed.and(shapesOn(item.podClass));
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
        // the node stays in its pool: a class's shapes span pools for zones its heaviest pool does not sell, and a
        // pod that filled another pool's node counts every pool's shapes that admit it
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
    // CreateFleet may launch any type a claim offers (the cheapest on demand, the one with capacity for spot), so a
    // claim counts against its pool as the largest of its types in each resource, as Karpenter's scheduler subtracts
    // a NodeClaim's instance types' maximum from what its pool has left: a type is offered only where the pool stays
    // within its limits with it, every other claim counted at its largest so far. Checked against each claim's
    // planned shape alone, four claims each offering a type twice as large took a pool past its limit when they all
    // got one. The types minValues asks for are chosen first for every claim, then each claim takes more from the
    // room left: an earlier claim's extra types never leave a later one short of its minValues. A cheaper type the
    // limits kept the node from is offered no more, where it came first and was what launched
    List<List<NodeShape>> chosenOf = new ArrayList<>(nodes.size());
    List<List<String>> podsOf = new ArrayList<>(nodes.size());
    for (int n = 0; n < nodes.size(); n++) {
      OpenNode node = nodes.get(n);
      NodeShape current = node.shape;
      List<NodeShape> chosen = new ArrayList<>(List.of(current));
      // names are taken node by node in this order whatever becomes of the node, as a plan's pods are named
      podsOf.add(names(node));
      // a pool without limits has nothing to count: no per-resource maximum built for each of its claims
      boolean limited = current.pool.hasLimits();
      if (needsMinValues(current)) {
        if (limited) {
          limits.add(current, -1);
        }
        List<NodeShape> fitting = new ArrayList<>();
        List<NodeShape> compatible = compatible(node, usedOf[n], allowedOf[n], capacityTypesOf[n],
            Integer.MAX_VALUE, new BitSet(), fitting);
        String unmet = flexibility(current, compatible, chosen);
        if (unmet != null) {
          // the limits are named where the types they left out would have met it
          String unlimited = flexibility(current, fitting, new ArrayList<>(List.of(current)));
          String reason = unlimited != null && unlimited.equals(unmet) ? unmet
              : unmet + " within its limits; the others would exceed them: " + limitsLeaving(fitting, compatible);
          podsOf.getLast().forEach(pod -> unschedulable.add(new Unschedulable(pod, reason)));
          chosenOf.add(null);
          continue;
        }
        if (limited) {
          limits.add(current.pool, largest(chosen), 1);
        }
      }
      chosenOf.add(chosen);
    }
    for (int n = 0; n < nodes.size(); n++) {
      List<NodeShape> chosen = chosenOf.get(n);
      if (chosen == null) {
        continue;
      }
      OpenNode node = nodes.get(n);
      NodeShape current = node.shape;
      boolean limited = current.pool.hasLimits();
      if (limited) {
        limits.add(current.pool, largest(chosen), -1);
      }
      // membership by index: a list's contains made this quadratic in the types offered
      BitSet taken = new BitSet(shapes.size());
      chosen.forEach(shape -> taken.set(shape.index));
      chosen.addAll(compatible(node, usedOf[n], allowedOf[n], capacityTypesOf[n],
          Scheduler.MAX_INSTANCE_TYPES - chosen.size(), taken, null));
      if (limited) {
        limits.add(current.pool, largest(chosen), 1);
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
      claims.add(new NodeClaim(current.pool.name(), zones.get(current.cheapestZone(node.zoneMask)), claimZones,
          current.capacityType, options, podsOf.get(n), dims.resources(usedOf[n]), dims.resources(current.room)));
    }
    return claims;
  }

  /**
   * Up to {@code wanted} shapes of the node's pool and capacity type, cheapest first, not yet {@code taken}, that hold
   * what it got and keep its pool within its limits with it (the node itself counted out of the usage by the caller);
   * every shape that holds it, limits aside, is added to {@code fitting} where given.
   */
  private List<NodeShape> compatible(OpenNode node, long[] used, BitSet allowed, int capacityTypes, int wanted,
      BitSet taken, List<NodeShape> fitting) {
    List<NodeShape> compatible = new ArrayList<>();
    boolean limited = node.shape.pool.hasLimits();
    for (int s : sameKind(node.shape)) {
      if (compatible.size() >= wanted && fitting == null) {
        break;
      }
      NodeShape shape = shapes.get(s);
      if (shape == node.shape || taken.get(s) || !fitsNode(shape, allowed, capacityTypes, node.zoneMask, used)) {
        continue;
      }
      if (fitting != null) {
        fitting.add(shape);
      }
      if (compatible.size() < wanted && (!limited || limits.allows(shape))) {
        compatible.add(shape);
      }
    }
    return compatible;
  }

  /** Why the pool's limits left out the first of {@code fitting} not in {@code compatible}. */
  private String limitsLeaving(List<NodeShape> fitting, List<NodeShape> compatible) {
    for (NodeShape shape : fitting) {
      if (!compatible.contains(shape)) {
        return limits.exceededReason(shape);
      }
    }
    return null;
  }

  /** The largest capacity of {@code chosen}'s shapes in each resource. */
  private static Resources largest(List<NodeShape> chosen) {
    if (chosen.size() == 1) {
      return chosen.getFirst().capacity;
    }
    // one map for them all: a claim offers up to 60 types, and the Resources built at each step took 7% of the time
    // of a simulated hour of 10,000 pods
    Map<String, Long> most = new HashMap<>();
    for (NodeShape shape : chosen) {
      shape.capacity.amounts().forEach((name, amount) -> most.merge(name, amount, Math::max));
    }
    return new Resources(most);
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
    return current.asksMinValues;
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
