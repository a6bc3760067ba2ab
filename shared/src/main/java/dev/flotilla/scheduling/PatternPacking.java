package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The pattern program's side of packing: which pods it takes (kinds free of per-node topology, while they are few),
 * the program it solves over them, and taking a pattern's pods from the items left. Changes when what the pattern
 * program is given changes.
 */
final class PatternPacking {

  private PatternPacking() {}

  /** Above this many kinds of pods the pattern program is not run: its pricing search no longer converges in time. */
  static final int KINDS = 32;
  /** Shapes the pattern program prices for each kind (those ranked first for it), and in all. */
  static final int SHAPES = 12;
  static final int CANDIDATES = 64;
  static final int ROUNDS = 30;
  /** States one pattern search visits at most. */
  static final int BUDGET = 2_000;

  /**
   * The pattern program's kinds among the items left: pods free of per-node topology, alike in requests, shapes,
   * zones and capacity types. Null when there are more than {@link #KINDS}.
   */
  static List<List<PodClass.Item>> kinds(Iterable<PodClass.Item> items) {
    Map<String, List<PodClass.Item>> kinds = new java.util.LinkedHashMap<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      if (item.remaining == 0 || c.matches.length > 0 || c.repels.length > 0 || c.capGroups.length > 0
          || c.selfRepelling) {
        continue;
      }
      kinds.computeIfAbsent(item.group + "/" + Arrays.toString(c.requests) + "/" + item.zoneMask + "/"
          + item.capacityTypeMask, x -> new ArrayList<>()).add(item);
      if (kinds.size() > KINDS) {
        return null;
      }
    }
    return new ArrayList<>(kinds.values());
  }

  /**
   * The pattern program over {@code kinds}: each kind's requests, zones, capacity types, shapes and pods left, its
   * worth at the bound's prices, and as candidates the first shapes {@code ranked} gives each kind that the limits
   * allow.
   */
  static PatternProgram.Result solve(List<List<PodClass.Item>> kinds, List<NodeShape> shapes,
      Function<PodClass.Item, int[]> ranked, Packer.Limits limits) {
    int k = kinds.size();
    long[][] requests = new long[k][];
    long[] zoneMasks = new long[k];
    int[] capacityTypeMasks = new int[k];
    BitSet[] kindShapes = new BitSet[k];
    int[] demand = new int[k];
    double[] worth = new double[k];
    java.util.LinkedHashSet<Integer> candidates = new java.util.LinkedHashSet<>();
    for (int kind = 0; kind < k; kind++) {
      PodClass.Item first = kinds.get(kind).getFirst();
      requests[kind] = first.podClass.requests;
      zoneMasks[kind] = first.zoneMask;
      capacityTypeMasks[kind] = first.capacityTypeMask;
      kindShapes[kind] = first.podClass.shapes;
      worth[kind] = first.value;
      for (PodClass.Item item : kinds.get(kind)) {
        demand[kind] += item.remaining;
      }
      int taken = 0;
      for (int s : ranked.apply(first)) {
        if (taken == SHAPES || candidates.size() == CANDIDATES) {
          break;
        }
        if (first.podClass.shapes.get(s) && limits.allows(shapes.get(s))) {
          candidates.add(s);
          taken++;
        }
      }
    }
    return PatternProgram.solve(shapes,
        candidates.stream().mapToInt(Integer::intValue).toArray(),
        new PatternProgram.Kinds(requests, zoneMasks, capacityTypeMasks, kindShapes, demand), worth, ROUNDS,
        BUDGET);
  }

  /** Picks the pattern's pods from its kinds' items; false when some kind has too few left. */
  static boolean take(PatternProgram.Pattern pattern, List<List<PodClass.Item>> kinds, List<int[]> picks) {
    picks.clear();
    for (int kind = 0; kind < kinds.size(); kind++) {
      int want = pattern.counts()[kind];
      for (PodClass.Item item : kinds.get(kind)) {
        if (want == 0) {
          break;
        }
        int n = Math.min(want, item.remaining);
        if (n > 0) {
          picks.add(new int[] {item.index, n});
          want -= n;
        }
      }
      if (want > 0) {
        return false;
      }
    }
    return !picks.isEmpty();
  }
}
