package dev.flotilla.scheduling;

import java.util.ArrayList;
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
  private final Map<String, int[]> rankedShapes = new HashMap<>();

  ShapeRanking(List<NodeShape> shapes, List<BitSet> groupShapes) {
    this.shapes = shapes;
    this.groupShapes = groupShapes;
  }

  /** Compatible shapes for an item, best first: those the bound's optimum uses, then by worth per dollar. */
  int[] ranked(PodClass.Item item, FractionalBound.Result bound) {
    PodClass c = item.podClass;
    String key = c.group + "/" + item.zoneMask + "/" + item.capacityTypeMask;
    return rankedShapes.computeIfAbsent(key, k -> {
      BitSet compatible = groupShapes.get(c.group);
      double[] prices = bound.prices()[c.group];
      List<Integer> list = new ArrayList<>();
      for (int s = compatible.nextSetBit(0); s >= 0; s = compatible.nextSetBit(s + 1)) {
        NodeShape shape = shapes.get(s);
        if ((shape.zoneMask & item.zoneMask) != 0
            && (item.capacityTypeMask & (1 << shape.capacityType.ordinal())) != 0) {
          list.add(s);
        }
      }
      double[] worth = new double[shapes.size()];
      for (int s : list) {
        NodeShape shape = shapes.get(s);
        double w = 0;
        for (int r = 0; r < prices.length; r++) {
          w += shape.room[r] * prices[r];
        }
        worth[s] = w / shape.minPrice;
      }
      double[] used = bound.nodes();
      // each shape's sort keys computed once, not in every comparison: a full catalog has thousands of shapes
      double[] second = new double[shapes.size()];
      for (int s : list) {
        second[s] = used[s] > 1e-9 ? -used[s] : -worth[s];
      }
      list.sort((a, b) -> {
        int byUse = Integer.compare(used[a] > 1e-9 ? 0 : 1, used[b] > 1e-9 ? 0 : 1);
        if (byUse != 0) {
          return byUse;
        }
        int byWorth = Double.compare(second[a], second[b]);
        if (byWorth != 0) {
          return byWorth;
        }
        int byPrice = Double.compare(shapes.get(a).minPrice, shapes.get(b).minPrice);
        return byPrice != 0 ? byPrice : Integer.compare(a, b);
      });
      // the shapes that hold this class alone cheapest, for the tail where its partners have run out
      List<Integer> alone = new ArrayList<>(list);
      alone.removeIf(x -> !c.shapes.get(x));
      double[] aloneCost = new double[shapes.size()];
      for (int x : alone) {
        aloneCost[x] = shapes.get(x).minPrice / Math.max(1, Dims.copiesThatFit(c.requests, shapes.get(x).room));
      }
      alone.sort((a, b) -> {
        int byCost = Double.compare(aloneCost[a], aloneCost[b]);
        return byCost != 0 ? byCost : Integer.compare(a, b);
      });
      int first = Math.min(list.size(), Packer.SHAPES_TRIED - Packer.ALONE_TRIED);
      List<Integer> ordered = new ArrayList<>(list.subList(0, first));
      // membership by index: a list's contains over a full catalog's thousands of shapes made this quadratic
      BitSet taken = new BitSet(shapes.size());
      ordered.forEach(taken::set);
      for (int x : alone) {
        if (ordered.size() >= Packer.SHAPES_TRIED) {
          break;
        }
        if (!taken.get(x)) {
          ordered.add(x);
          taken.set(x);
        }
      }
      for (int x : list) {
        if (!taken.get(x)) {
          ordered.add(x);
          taken.set(x);
        }
      }
      return ordered.stream().mapToInt(Integer::intValue).toArray();
    });
  }
}
