package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The fractional bound's problem for one decision: which shapes each group of pods may use (their signature's, in
 * their pool, or their zones'), the bound's classes (pods of one group with the same requests and per-node caps), and
 * what the solved bound says each item's pods are worth to the packing. Changes when what the bound is solved over
 * changes; the program itself is {@link FractionalBound}'s.
 */
final class BoundProblem {
  private final List<NodeShape> shapes;
  private final List<BitSet> signatureShapes;
  private final Dims dims;

  BoundProblem(List<NodeShape> shapes, List<BitSet> signatureShapes, Dims dims) {
    this.shapes = shapes;
    this.signatureShapes = signatureShapes;
    this.dims = dims;
  }

  /** The bound of every class as a whole, before zone topology splits any; fills each class's bound shapes. */
  FractionalBound.Result whole(List<PodClass> placeable, Map<PodClass, BitSet> classShapes) {
    List<PodClass.Item> whole = new ArrayList<>();
    placeable.forEach(c -> whole.add(new PodClass.Item(whole.size(), c, c.zoneMask, c.capacityTypeMask, c.names)));
    // a class whose zones its heaviest pool does not sell has shares in lighter pools there (see PodClasses): as a
    // whole it may use every pool its shares may, so that the bound stays below any plan
    Map<PodClass, Set<Integer>> sharePools = new HashMap<>();
    for (PodClass c : placeable) {
      Set<Integer> ranks = new TreeSet<>();
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
    return solve(whole, groupOf, wholeShapes, counts, false);
  }

  /**
   * What the bound spends on the shapes of {@code compatible} that zone {@code z} sells, each weighed by how close
   * the zone's price is to its cheapest (spot prices differ by zone; on-demand prices do not).
   */
  double soldIn(FractionalBound.Result bound, BitSet compatible, int z) {
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
  static long classes(List<PodClass.Item> items, Map<PodClass.Item, Integer> groupOf) {
    return items.stream().map(i -> groupOf.get(i) + "/" + Arrays.toString(i.podClass.requests) + "/"
        + perNodeCaps(i.podClass)).distinct().count();
  }

  /**
   * The bound's groups: pods of one signature on the shapes of their pool (that of their shapes, with those of
   * {@code extraPools} added); the items {@code byZones} picks each get the group of their zones, on the shapes
   * those zones sell. Fills {@code groupShapes}; returns each item's group.
   */
  Map<PodClass.Item, Integer> groups(List<PodClass.Item> items,
      Map<PodClass, Set<Integer>> extraPools, List<BitSet> groupShapes,
      Predicate<PodClass.Item> byZones) {
    Map<String, Integer> groupIds = new LinkedHashMap<>();
    Map<PodClass.Item, Integer> groupOf = new LinkedHashMap<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      TreeSet<Integer> ranks = new TreeSet<>();
      ranks.add(poolRank(item));
      ranks.addAll(extraPools.getOrDefault(c, Set.of()));
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
  FractionalBound.Result solve(List<PodClass.Item> items, Map<PodClass.Item, Integer> groupOf,
      List<BitSet> groupShapes, Map<PodClass.Item, Integer> counts, boolean assign) {
    // the bound's classes: pods of one group with the same requests and per-node caps, whatever else differs
    Map<String, Integer> lpClassIds = new LinkedHashMap<>();
    List<long[]> lpRequests = new ArrayList<>();
    List<Integer> lpGroups = new ArrayList<>();
    List<Long> lpCounts = new ArrayList<>();
    Map<PodClass.Item, Integer> boundClassOf = new HashMap<>();
    Map<List<Integer>, SortedSet<Integer>> capped = new LinkedHashMap<>();
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
      perNode.forEach(cap -> capped.computeIfAbsent(cap, k -> new TreeSet<>()).add(id));
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
}
