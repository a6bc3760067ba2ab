package dev.flotilla.scheduling;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which shapes a new node for a pod is tried on, best first: those the fractional bound's optimum buys, then by what
 * their resources are worth at the bound's prices per dollar, with the shapes that hold the pod's class alone
 * cheapest among the first tried. Computed once per group, zones and capacity types. Changes when how the packing
 * chooses a node's shape changes.
 */
final class ShapeRanking {
  private final List<NodeShape> shapes;
  private final List<BitSet> groupShapes;
  private final Orders orders;
  private final Map<String, int[]> rankedShapes = new HashMap<>();

  /**
   * The sorts behind a ranking: by worth, which depend on the shapes, the groups and the bound, per group, zones and
   * capacity types; and the shapes that hold a class alone cheapest, per class as well. The packings of one selection,
   * each with a ranking of its own, share them rather than sort a full catalog's shapes again each.
   */
  static final class Orders {
    private FractionalBound.Result bound;
    private List<BitSet> groupShapes;
    private final Map<String, int[]> byWorth = new HashMap<>();
    private final Map<PodClass, Map<String, int[]>> alone = new java.util.IdentityHashMap<>();

    /** Forgets what was sorted for another bound or other groups. */
    private void use(FractionalBound.Result bound, List<BitSet> groupShapes) {
      if (bound != this.bound || groupShapes != this.groupShapes) {
        this.bound = bound;
        this.groupShapes = groupShapes;
        byWorth.clear();
        alone.clear();
      }
    }
  }

  ShapeRanking(List<NodeShape> shapes, List<BitSet> groupShapes, Orders orders) {
    this.shapes = shapes;
    this.groupShapes = groupShapes;
    this.orders = orders;
  }

  Orders orders() {
    return orders;
  }

  /** Compatible shapes for an item, best first: those the bound's optimum uses, then by worth per dollar. */
  int[] ranked(PodClass.Item item, FractionalBound.Result bound) {
    PodClass c = item.podClass;
    String key = item.group + "/" + item.zoneMask + "/" + item.capacityTypeMask;
    return rankedShapes.computeIfAbsent(key, k -> {
      orders.use(bound, groupShapes);
      int[] list = orders.byWorth.computeIfAbsent(key, x -> byWorth(item, bound));
      int[] alone = orders.alone.computeIfAbsent(c, x -> new HashMap<>()).computeIfAbsent(key,
          x -> alone(c, list));
      return merged(list, alone);
    });
  }

  /** The item's group's shapes in its zones and capacity types: the bound's first, then by worth per dollar. */
  private int[] byWorth(PodClass.Item item, FractionalBound.Result bound) {
    BitSet compatible = groupShapes.get(item.group);
    double[] prices = bound.prices()[item.group];
    int[] list = new int[compatible.cardinality()];
    int size = 0;
    for (int s = compatible.nextSetBit(0); s >= 0; s = compatible.nextSetBit(s + 1)) {
      NodeShape shape = shapes.get(s);
      if ((shape.zoneMask & item.zoneMask) != 0
          && (item.capacityTypeMask & (1 << shape.capacityType.ordinal())) != 0) {
        list[size++] = s;
      }
    }
    list = java.util.Arrays.copyOf(list, size);
    double[] used = bound.nodes();
    // each shape's sort keys computed once, not in every comparison: a full catalog has thousands of shapes.
    // The order: shapes the bound's optimum buys first (most bought first), then by worth per dollar, then
    // cheapest, then by index
    int[] unused = new int[shapes.size()];
    double[] second = new double[shapes.size()];
    double[] minPrice = new double[shapes.size()];
    for (int s : list) {
      NodeShape shape = shapes.get(s);
      minPrice[s] = shape.minPrice;
      if (used[s] > 1e-9) {
        second[s] = -used[s];
      } else {
        unused[s] = 1;
        double w = 0;
        for (int r = 0; r < prices.length; r++) {
          w += shape.room[r] * prices[r];
        }
        second[s] = -(w / shape.minPrice);
      }
    }
    IndexOrder.sort(list, unused, second, minPrice);
    return list;
  }

  /** Of {@code list}, the shapes that hold class {@code c} alone cheapest, for the tail where its partners ran out. */
  private int[] alone(PodClass c, int[] list) {
    int[] alone = new int[list.length];
    int aloneSize = 0;
    double[] aloneCost = new double[shapes.size()];
    for (int x : list) {
      if (c.shapes.get(x)) {
        alone[aloneSize++] = x;
        aloneCost[x] = shapes.get(x).minPrice / Math.max(1, Dims.copiesThatFit(c.requests, shapes.get(x).room));
      }
    }
    alone = java.util.Arrays.copyOf(alone, aloneSize);
    IndexOrder.sort(alone, new int[shapes.size()], aloneCost, new double[shapes.size()]);
    return alone;
  }

  /** The first shapes by worth, then the first alone, up to {@link Packer#SHAPES_TRIED}, then the rest by worth. */
  private int[] merged(int[] list, int[] alone) {
    int first = Math.min(list.length, Packer.SHAPES_TRIED - Packer.ALONE_TRIED);
    int[] ordered = new int[list.length];
    int count = 0;
    // membership by index: a list's contains over a full catalog's thousands of shapes made this quadratic
    BitSet taken = new BitSet(shapes.size());
    for (int i = 0; i < first; i++) {
      ordered[count++] = list[i];
      taken.set(list[i]);
    }
    for (int x : alone) {
      if (count >= Packer.SHAPES_TRIED) {
        break;
      }
      if (!taken.get(x)) {
        ordered[count++] = x;
        taken.set(x);
      }
    }
    for (int x : list) {
      if (!taken.get(x)) {
        ordered[count++] = x;
        taken.set(x);
      }
    }
    return ordered;
  }
}
