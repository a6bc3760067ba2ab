package dev.flotilla.scheduling;

import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where pods go when their NodePool's limits leave them out: the next pool by weight that admits and fits them, as
 * Karpenter tries each NodePool in weight order; each move is recorded with the pool skipped and why. Changes when
 * the fallback between NodePools changes.
 */
final class PoolFallbacks {
  private final List<NodeShape> shapes;
  private final List<BitSet> signatureShapes;
  private final List<BitSet> requiredShapes;
  private final PoolLimits limits;
  private final List<PoolFallback> poolFallbacks;

  /**
   * @param signatureShapes each signature's shapes, its preferred node affinity met where some shape meets it; a
   *                        pool its preferences are relaxed for joins them (see {@link #fallbackShapes})
   * @param requiredShapes  each signature's shapes by its required terms alone
   * @param poolFallbacks   where each move is recorded
   */
  PoolFallbacks(List<NodeShape> shapes, List<BitSet> signatureShapes, List<BitSet> requiredShapes, PoolLimits limits,
      List<PoolFallback> poolFallbacks) {
    this.shapes = shapes;
    this.signatureShapes = signatureShapes;
    this.requiredShapes = requiredShapes;
    this.limits = limits;
    this.poolFallbacks = poolFallbacks;
  }

  /**
   * The pods NodePool limits left unplaced, moved to the next pool by weight whose shapes admit and fit them in the
   * zones and capacity types they were given; each move is reported with the reason the pool was skipped. Items
   * with no such pool keep their unplaced pods, to be reported as unschedulable.
   */
  List<PodClass.Item> fallBack(List<PodClass.Item> left, Map<PodClass, java.util.Set<Integer>> poolsUsed) {
    List<PodClass.Item> next = new ArrayList<>();
    Map<PodClass, BitSet> moved = new HashMap<>();
    Map<PodClass, String> reasons = new HashMap<>();
    Map<PodClass, NodePool> from = new HashMap<>();
    for (PodClass.Item item : left) {
      if (item.unplaced == 0 || item.noAffineNode) {
        continue;
      }
      PodClass c = item.podClass;
      if (!moved.containsKey(c)) {
        int rank = shapes.get(c.shapes.nextSetBit(0)).poolRank;
        from.put(c, shapes.get(c.shapes.nextSetBit(0)).pool);
        String reason = limits.reason(c, shapes);
        BitSet sig = c.relaxedShapes != null ? c.relaxedShapes : signatureShapes.get(c.signature);
        BitSet fallback = fallbackShapes(c, sig, r -> r > rank);
        if (fallback == null && c.relaxedShapes == null
            && !requiredShapes.get(c.signature).equals(signatureShapes.get(c.signature))) {
          // no later pool meets the pods' preferred node affinity: Karpenter then drops the preferences and tries
          // the pools by weight again (the cluster's scheduler only scores them), so the heaviest pool their
          // required terms admit that they have not used yet
          java.util.Set<Integer> used = poolsUsed.getOrDefault(c, java.util.Set.of());
          fallback = fallbackShapes(c, requiredShapes.get(c.signature), r -> r != rank && !used.contains(r));
          if (fallback != null) {
            // the class's groups are built from these from now on; the signature's stay as they were for its other
            // classes, and its admits (where nodes bought already may take it) keep the preferences
            c.relaxedShapes = (BitSet) signatureShapes.get(c.signature).clone();
            c.relaxedShapes.or(fallback);
            reason += "; preferred node affinity dropped";
          }
        }
        reasons.put(c, reason);
        moved.put(c, fallback);
      }
      BitSet fallback = moved.get(c);
      if (fallback == null) {
        continue;
      }
      long zoneMask = 0;
      int capacityTypes = 0;
      for (int s = fallback.nextSetBit(0); s >= 0; s = fallback.nextSetBit(s + 1)) {
        zoneMask |= shapes.get(s).zoneMask;
        capacityTypes |= 1 << shapes.get(s).capacityType.ordinal();
      }
      // the zones and capacity types topology pinned the share to (zone affinity pins a whole class, a spread its
      // shares), and else the pods' own zones, stay; those it had only because its pool sold nothing else do not (a
      // spot-only pool's pods may fall back to an on-demand pool)
      zoneMask &= item.zoneMask != c.untopologizedZoneMask ? item.zoneMask : c.ownZoneMask;
      if (item.capacityTypeMask != c.capacityTypeMask) {
        capacityTypes &= item.capacityTypeMask;
      }
      if (zoneMask == 0 || capacityTypes == 0) {
        continue;
      }
      List<String> names = new ArrayList<>(item.names.subList(item.nextName, item.nextName + item.unplaced));
      item.nextName += item.unplaced;
      item.unplaced = 0;
      next.add(new PodClass.Item(next.size(), c, zoneMask, capacityTypes, names));
      poolFallbacks.add(new PoolFallback(from.get(c).name(), shapes.get(fallback.nextSetBit(0)).pool.name(),
          reasons.get(c), names));
    }
    for (Map.Entry<PodClass, BitSet> e : moved.entrySet()) {
      if (e.getValue() != null && next.stream().anyMatch(i -> i.podClass == e.getKey())) {
        PodClass c = e.getKey();
        poolsUsed.computeIfAbsent(c, k -> new java.util.TreeSet<>())
            .add(shapes.get(c.shapes.nextSetBit(0)).poolRank);
        c.shapes = e.getValue();
        poolsUsed.get(c).add(shapes.get(c.shapes.nextSetBit(0)).poolRank);
      }
    }
    return next;
  }

  /** The shapes of {@code sig} in the heaviest pool whose rank {@code eligible} takes that fit the class, or null. */
  private BitSet fallbackShapes(PodClass c, BitSet sig, java.util.function.IntPredicate eligible) {
    BitSet fits = NodeShapes.ofHeaviestPool(shapes, sig, c.requests, shape -> eligible.test(shape.poolRank));
    return fits.isEmpty() ? null : fits;
  }
}
