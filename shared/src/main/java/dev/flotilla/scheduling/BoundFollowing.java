package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A packing's first phase where its strategy follows the bound ({@link PackingStrategy#followBound}): for each shape
 * the bound's optimum buys, it opens nodes of that shape filled with the pods the optimum assigns to it, while such
 * nodes come out nearly as good as the bound says; rounding leaves the rest to the greedy phase. Changes when how the
 * bound's assignment guides the first nodes changes.
 */
final class BoundFollowing {
  /** Below this worth per dollar a node the bound's assignment suggests is left to the greedy phase. */
  static final double BOUND_FILL_EFFICIENCY = 0.97;

  /**
   * A class capped per node whose pods the bound puts on a shape at (nearly) their cap on every node of it: the
   * optimum buys those nodes for them, and what else it assigns there fills them. Each such pod needs a node of its own
   * whatever fills it, and the greedy phase, reaching it after other nodes took the pods that would fill it, opens it
   * alone on a small node (a thousand shards of a store, one per node, on nodes 40% idle).
   */
  static final double SETS_NODE_COUNT = 0.9;

  private final NodeFilling filling;
  /** Whether a node opened for an anchor takes its zones' own pods first (see {@link Packer#ownPodsFirst}). */
  private final Predicate<PodClass.Item> ownPodsFirst;
  private final List<NodeShape> shapes;
  private final List<BitSet> groupShapes;
  private final PoolLimits limits;
  /** Per anchor, while a shape is followed: the pods it took on a trial node, and the cheapest node for them alone. */
  private final Map<PodClass.Item, double[]> alone = new HashMap<>();

  BoundFollowing(NodeFilling filling, Predicate<PodClass.Item> ownPodsFirst, List<NodeShape> shapes,
      List<BitSet> groupShapes, PoolLimits limits) {
    this.filling = filling;
    this.ownPodsFirst = ownPodsFirst;
    this.shapes = shapes;
    this.groupShapes = groupShapes;
    this.limits = limits;
  }

  /**
   * Opens the nodes of the bound's shapes, most bought first, for anchors in {@code order}; with
   * {@code fillCappedNodes}, the pods of a class that sets a shape's node count ({@link #SETS_NODE_COUNT}) anchor
   * first and fill by worth.
   */
  void open(FractionalBound.Result bound, List<PodClass.Item> items, PodClass.Item[] order, List<OpenNode> nodes,
      List<int[]> picks, boolean fillCappedNodes) {
    Map<Integer, List<FractionalBound.Assignment>> byShape = new TreeMap<>();
    for (FractionalBound.Assignment a : bound.assignments()) {
      byShape.computeIfAbsent(a.shape(), k -> new ArrayList<>()).add(a);
    }
    List<Integer> shapeOrder = new ArrayList<>(byShape.keySet());
    shapeOrder.sort(Comparator.comparingDouble((Integer s) -> -bound.nodes()[s]).thenComparingInt(s -> s));
    Map<Integer, List<PodClass.Item>> itemsOfClass = new HashMap<>();
    for (PodClass.Item item : items) {
      itemsOfClass.computeIfAbsent(item.boundClass, k -> new ArrayList<>()).add(item);
    }
    filling.followQuotas(true);
    BitSet setCount = new BitSet();
    List<PodClass.Item> anchors = new ArrayList<>(order.length);
    for (int s : shapeOrder) {
      NodeShape shape = shapes.get(s);
      setCount.clear();
      alone.clear();
      for (FractionalBound.Assignment a : byShape.get(s)) {
        List<PodClass.Item> of = itemsOfClass.getOrDefault(a.podClass(), List.of());
        if (fillCappedNodes && !of.isEmpty()
            && setsNodeCount(bound, a, PatternPacking.perNode(of.getFirst().podClass))) {
          setCount.set(a.podClass());
        }
        int quota = (int) Math.floor(a.pods() + 1e-6);
        for (PodClass.Item item : of) {
          int q = Math.min(quota, item.remaining);
          item.quota = q;
          quota -= q;
        }
      }
      // the pods that set the count anchor first, each of their nodes then filled before other nodes take the pods
      anchors.clear();
      for (PodClass.Item anchor : order) {
        if (anchor.boundClass >= 0 && setCount.get(anchor.boundClass)) {
          anchors.add(anchor);
        }
      }
      for (PodClass.Item anchor : order) {
        if (anchor.boundClass < 0 || !setCount.get(anchor.boundClass)) {
          anchors.add(anchor);
        }
      }
      for (PodClass.Item anchor : anchors) {
        boolean ownFirst = anchor.quota > 0 && ownPodsFirst.test(anchor);
        while (anchor.quota > 0 && anchor.remaining > 0 && filling.allows(anchor, shape) && limits.allows(shape)) {
          picks.clear();
          OpenNode trial = filling.beginTrial(shape, anchor.zoneMask);
          // a node bought for a class that sets the count fills from every pod left, not only from those the bound
          // assigns this shape: once the shape's first nodes took those, the rest would open nearly empty
          boolean setsCount = anchor.boundClass >= 0 && setCount.get(anchor.boundClass);
          filling.followQuotas(!setsCount);
          if (setsCount) {
            filling.fillByWorth(trial, anchor, items, picks);
          } else {
            filling.fill(trial, anchor, picks, ownFirst);
          }
          filling.followQuotas(true);
          if (picks.isEmpty() || trial.value / shape.price(trial.zoneMask) < BOUND_FILL_EFFICIENCY
              && !(setsCount && fillPaysForUpsize(anchor, trial, items, picks))) {
            break;
          }
          nodes.add(filling.commit(shape, anchor, items, picks));
        }
      }
      for (PodClass.Item item : items) {
        item.quota = 0;
      }
    }
    filling.followQuotas(false);
  }

  private static boolean setsNodeCount(FractionalBound.Result bound, FractionalBound.Assignment a, int cap) {
    double capped = (double) cap * bound.nodes()[a.shape()];
    return cap < Integer.MAX_VALUE && a.pods() >= SETS_NODE_COUNT * capped && a.pods() <= capped * (1 + 1e-9) + 1e-6;
  }

  /** Whether, in {@code bound}, some class of {@code items} capped per node sets a shape's node count. */
  static boolean capsSetNodeCount(FractionalBound.Result bound, List<PodClass.Item> items) {
    Map<Integer, Integer> caps = new HashMap<>();
    for (PodClass.Item item : items) {
      int cap = PatternPacking.perNode(item.podClass);
      if (cap < Integer.MAX_VALUE) {
        caps.putIfAbsent(item.boundClass, cap);
      }
    }
    return !caps.isEmpty() && bound.assignments().stream().anyMatch(a -> caps.containsKey(a.podClass())
        && setsNodeCount(bound, a, caps.get(a.podClass())));
  }

  /**
   * For an anchor whose class sets its shape's node count (see {@link #SETS_NODE_COUNT}): whether the rest of the
   * trial node is worth, at the bound's prices, what the node costs over the cheapest node its anchor pods need alone.
   * Its pods need that node anyway; the rest pays for the larger one.
   */
  private boolean fillPaysForUpsize(PodClass.Item anchor, OpenNode trial, List<PodClass.Item> items,
      List<int[]> picks) {
    int taken = NodeFilling.taken(anchor, items, picks);
    double[] known = alone.get(anchor);
    if (known == null || known[0] != taken) {
      known = new double[] {taken, aloneAt(anchor, taken)};
      alone.put(anchor, known);
    }
    if (Double.isInfinite(known[1])) {
      return false;
    }
    double rest = trial.value - anchor.value * taken;
    return rest >= BOUND_FILL_EFFICIENCY * (trial.shape.price(trial.zoneMask) - known[1]);
  }

  /**
   * The cheapest node of the anchor's group, capacity types and zones that holds {@code taken} of its pods alone
   * (infinite where none does); found when the anchor first takes that many on a shape followed, the limits as they
   * were then (they only tighten, so the price found is at most the one now).
   */
  private double aloneAt(PodClass.Item anchor, int taken) {
    long[] need = anchor.podClass.requests.clone();
    for (int r = 0; r < need.length; r++) {
      need[r] *= taken;
    }
    double cheapest = Double.POSITIVE_INFINITY;
    BitSet group = groupShapes.get(anchor.group);
    for (int s = group.nextSetBit(0); s >= 0; s = group.nextSetBit(s + 1)) {
      NodeShape other = shapes.get(s);
      if ((anchor.capacityTypeMask & 1 << other.capacityType.ordinal()) == 0) {
        continue;
      }
      double price = other.price(anchor.zoneMask);
      if (price < cheapest && Dims.fits(need, other.room) && limits.allows(other)) {
        cheapest = price;
      }
    }
    return cheapest;
  }
}
