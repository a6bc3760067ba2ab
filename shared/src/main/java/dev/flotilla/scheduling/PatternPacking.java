package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The pattern program's side of packing: which pods it takes (kinds free of per-node topology but caps on their own
 * kind, while they are few), the program it solves over them, and taking a pattern's pods from the items left.
 * Changes when what the pattern program is given changes.
 */
final class PatternPacking {

  private PatternPacking() {}

  /** Above this many kinds of pods the pattern program is not run: its pricing search no longer converges in time. */
  static final int KINDS = 32;
  /**
   * Up to this many kinds the program runs from a kept plan's nodes ({@link PackingSelection}) however few pods each
   * kind has: started there it improves plans of 50 to 100 kinds in its rounds.
   */
  static final int SEEDED_KINDS = 100;
  /**
   * Above {@link #SEEDED_KINDS} kinds, and up to this many, the program runs from a kept plan's nodes only where the
   * kinds have {@link #SEEDED_PODS_PER_KIND} or more pods each on average. Above 200 kinds the program made the
   * topology sweep's plans of 200 deployment kinds (247 to 287 kinds once zone shares are apart) up to 9.1 points
   * dearer, never cheaper by more than 0.2, and took 1.6 to 3.0 s a plan.
   */
  static final int SEEDED_KINDS_MANY_PODS = 200;
  /**
   * The pods a kind must have on average, counting the program's kinds only, for the program to run from a kept plan
   * over {@link #SEEDED_KINDS} kinds. Rounded down to whole nodes, its optimum leaves about a node's worth of each
   * pattern's pods to the greedy fill; where a kind has a few dozen pods, that fill undoes what the program gained
   * (the topology sweep's 5,000 pods of 100 kinds, 142 once zone shares are apart, 35 pods a kind: up to 0.8 points
   * dearer than the plan it started from, which is kept). With about 70 or more the program's plan is cheaper (10,000
   * pods: 0.1 to 1.0 points; 20,000: 1.1 to 1.9; 20,000 pods of 200 plain kinds: 0.4 to 0.8). At 50 (10,000 pods of
   * 200 plain kinds) it is 0.2 to 1.0 points cheaper too, but the plan takes 680 to 950 ms, close to #18's target of
   * 1 s for 10,000 pods. The program never makes a plan dearer (its plan is kept only where cheaper), so this line
   * only decides where its time is worth the gain: it is drawn above 50.
   */
  static final int SEEDED_PODS_PER_KIND = 60;

  /** Shapes the pattern program takes first from each kind's ranking. */
  static final int SHAPES = 12;
  /** Shapes the pattern program prices at most in all. */
  static final int CANDIDATES = 64;
  /**
   * Shapes priced at least in all (no more than {@link #CANDIDATES}), where the kinds' first {@link #SHAPES} are
   * fewer: the kinds of one pool, zones and capacity types share one ranking, so small kinds fit the same first shapes
   * and the program would never see the sizes between them. A store's ten kinds of services beside its shards give 12
   * shapes, whose optimum is 3.3% over the bound; with 24 it is 3.0%, and 64 find no better.
   */
  static final int FEWEST_CANDIDATES = 24;
  static final int ROUNDS = 30;
  /** States one pattern search visits at most. */
  static final int BUDGET = 2_000;

  /**
   * Whether the program runs from a kept plan's nodes over {@code kinds} (see {@link #SEEDED_KINDS_MANY_PODS}): asked
   * before any packing takes their pods.
   */
  static boolean seededRuns(List<List<PodClass.Item>> kinds) {
    return kinds != null && !kinds.isEmpty() && (kinds.size() <= SEEDED_KINDS
        || kinds.size() <= SEEDED_KINDS_MANY_PODS && left(kinds) >= (long) SEEDED_PODS_PER_KIND * kinds.size());
  }

  /**
   * The pattern program's kinds among the items left: pods alike in requests, shapes, zones and capacity types, free
   * of per-node topology; with {@code capped}, also pods held only by a cap on their own kind (pods that repel their
   * own group, a hostname spread over it), which a pattern then keeps to (see {@link #perNode}). Pods whose per-node
   * topology involves another class (anti-affinity to other pods, a group others count in or keep away) are left to
   * the greedy packing, and so is a capped class whose shares could meet on one node. Null when there are more than
   * {@code limit}.
   */
  static List<List<PodClass.Item>> kinds(Iterable<PodClass.Item> items, boolean capped, int limit) {
    Map<Integer, java.util.Set<PodClass>> matchedBy = new java.util.HashMap<>();
    Map<Integer, java.util.Set<PodClass>> heldBy = new java.util.HashMap<>();
    // who counts in and who holds each group: only capped kinds are judged by it
    for (PodClass.Item item : capped ? items : List.<PodClass.Item>of()) {
      PodClass c = item.podClass;
      for (int g : c.matches) {
        matchedBy.computeIfAbsent(g, x -> new java.util.HashSet<>()).add(c);
      }
      for (int g : c.repels) {
        heldBy.computeIfAbsent(g, x -> new java.util.HashSet<>()).add(c);
      }
      for (int g : c.capGroups) {
        heldBy.computeIfAbsent(g, x -> new java.util.HashSet<>()).add(c);
      }
    }
    Map<String, List<PodClass.Item>> kinds = new java.util.LinkedHashMap<>();
    Map<PodClass, List<Long>> cappedZones = new java.util.HashMap<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      boolean free = c.countsInNoNodeGroup();
      // a pattern knows nothing of the pods a node must hold for another's hostname affinity
      if (item.remaining == 0 || c.needs.length > 0 || !(free || capped && onlyOwnCaps(c, matchedBy, heldBy))) {
        continue;
      }
      // a capped class is a kind of its own: a class alike in requests and constraints but uncapped, or capped
      // otherwise, must not share its kind, whose cap is its first class's
      List<PodClass.Item> kind = kinds.computeIfAbsent(item.group + "/" + Arrays.toString(c.requests) + "/"
          + item.zoneMask + "/" + item.capacityTypeMask + (perNode(c) < Integer.MAX_VALUE ? "/" + c.index : ""),
          x -> new ArrayList<>());
      if (kind.isEmpty() && perNode(c) < Integer.MAX_VALUE) {
        cappedZones.computeIfAbsent(c, x -> new ArrayList<>()).add(item.zoneMask);
      }
      kind.add(item);
      if (kinds.size() > limit) {
        return null;
      }
    }
    // a pattern caps each kind; two kinds of one capped class that may share a zone could together exceed the cap
    cappedZones.forEach((c, zones) -> {
      long seen = 0;
      for (long z : zones) {
        if ((seen & z) != 0) {
          kinds.values().removeIf(kind -> kind.getFirst().podClass == c);
          return;
        }
        seen |= z;
      }
    });
    return new ArrayList<>(kinds.values());
  }

  /**
   * Whether the class's per-node topology concerns its own pods alone: every group it repels or caps is one only it
   * counts in, and every group it counts in is held by none but itself.
   */
  private static boolean onlyOwnCaps(PodClass c, Map<Integer, java.util.Set<PodClass>> matchedBy,
      Map<Integer, java.util.Set<PodClass>> heldBy) {
    for (int g : c.repels) {
      if (!matchedBy.getOrDefault(g, java.util.Set.of()).equals(java.util.Set.of(c))) {
        return false;
      }
    }
    for (int g : c.capGroups) {
      if (!matchedBy.getOrDefault(g, java.util.Set.of()).equals(java.util.Set.of(c))) {
        return false;
      }
    }
    for (int g : c.matches) {
      for (PodClass holder : heldBy.getOrDefault(g, java.util.Set.of())) {
        if (holder != c) {
          return false;
        }
      }
    }
    return true;
  }

  /** Whether some kind is capped per node: the program over them differs from the one without caps. */
  static boolean anyCapped(List<List<PodClass.Item>> kinds) {
    return kinds != null && kinds.stream().anyMatch(kind -> perNode(kind.getFirst().podClass) < Integer.MAX_VALUE);
  }

  /**
   * How many pods of the class one node may hold, as the packing counts them ({@link Topology#allowedOn}): one where it
   * repels its own group, at most each hostname spread's maxSkew; {@link Integer#MAX_VALUE} where nothing caps it.
   */
  static int perNode(PodClass c) {
    int cap = c.selfRepelling ? 1 : Integer.MAX_VALUE;
    for (int max : c.caps) {
      cap = Math.min(cap, max);
    }
    return cap;
  }

  /**
   * The pattern program over {@code kinds}: each kind's requests, zones, capacity types, shapes ({@code allowed}) and
   * pods left, its worth at the bound's prices, and as candidates the first shapes {@code ranked} gives each kind
   * that the limits allow (at least {@link #FEWEST_CANDIDATES} in all where there are as many); each of
   * {@code seeds} (nodes of a plan already made) is also a first pattern: its pods of these kinds. With
   * {@code optima}, a program solved lately is answered from there ({@link PatternOptima#solve}).
   */
  static PatternProgram.Result solve(List<List<PodClass.Item>> kinds, List<NodeShape> shapes,
      Function<PodClass.Item, int[]> ranked, Function<PodClass.Item, BitSet> allowed, PoolLimits limits,
      List<OpenNode> seeds, PatternOptima optima) {
    int k = kinds.size();
    long[][] requests = new long[k][];
    long[] zoneMasks = new long[k];
    int[] capacityTypeMasks = new int[k];
    BitSet[] kindShapes = new BitSet[k];
    int[] demand = new int[k];
    int[] perNode = new int[k];
    double[] worth = new double[k];
    int[][] rankings = new int[k][];
    int[] next = new int[k];
    java.util.LinkedHashSet<Integer> candidates = new java.util.LinkedHashSet<>();
    for (int kind = 0; kind < k; kind++) {
      PodClass.Item first = kinds.get(kind).getFirst();
      requests[kind] = first.podClass.requests;
      zoneMasks[kind] = first.zoneMask;
      capacityTypeMasks[kind] = first.capacityTypeMask;
      kindShapes[kind] = allowed.apply(first);
      worth[kind] = first.value;
      perNode[kind] = perNode(first.podClass);
      for (PodClass.Item item : kinds.get(kind)) {
        demand[kind] += item.remaining;
      }
      rankings[kind] = ranked.apply(first);
      int taken = 0;
      for (; next[kind] < rankings[kind].length && taken < SHAPES && candidates.size() < CANDIDATES; next[kind]++) {
        if (mayPrice(rankings[kind][next[kind]], first, kindShapes[kind], shapes, limits)) {
          candidates.add(rankings[kind][next[kind]]);
          taken++;
        }
      }
    }
    // few shapes in all: one more from each kind's ranking in turn
    for (boolean more = true; more && candidates.size() < FEWEST_CANDIDATES; ) {
      more = false;
      for (int kind = 0; kind < k && candidates.size() < FEWEST_CANDIDATES; kind++) {
        PodClass.Item first = kinds.get(kind).getFirst();
        while (next[kind] < rankings[kind].length) {
          int shape = rankings[kind][next[kind]++];
          if (mayPrice(shape, first, kindShapes[kind], shapes, limits) && candidates.add(shape)) {
            more = true;
            break;
          }
        }
      }
    }
    int[] priced = candidates.stream().mapToInt(Integer::intValue).toArray();
    PatternProgram.Kinds program = new PatternProgram.Kinds(requests, zoneMasks, capacityTypeMasks, kindShapes, demand,
        perNode);
    List<PatternProgram.Pattern> first = patterns(seeds, kinds, allowed);
    return optima == null ? PatternProgram.solve(shapes, priced, program, worth, ROUNDS, BUDGET, first)
        : optima.solve(shapes, priced, program, worth, ROUNDS, BUDGET, first);
  }

  /** Whether the program may price {@code shape} for a kind: its pods may run on it and fit it, and limits allow it. */
  private static boolean mayPrice(int shape, PodClass.Item item, BitSet kindShapes, List<NodeShape> shapes,
      PoolLimits limits) {
    return kindShapes.get(shape) && Dims.fits(item.podClass.requests, shapes.get(shape).room)
        && limits.allows(shapes.get(shape));
  }

  /**
   * Each node's pods of {@code kinds} as a pattern on its shape and zones, counting only the kinds whose shapes
   * ({@code allowed}) hold the node's: a node of a lighter pool keeps its own pods' kinds, not the pods of another
   * pool that filled its room, or the program would buy that pool's nodes for them alone. Nodes holding none give
   * none.
   */
  static List<PatternProgram.Pattern> patterns(List<OpenNode> nodes, List<List<PodClass.Item>> kinds,
      Function<PodClass.Item, BitSet> allowed) {
    // by index: the nodes may come from a packing that ran on copies of the items (see PackingSelection)
    Map<Integer, Integer> kindOf = new java.util.HashMap<>();
    BitSet[] kindShapes = new BitSet[kinds.size()];
    for (int kind = 0; kind < kinds.size(); kind++) {
      kindShapes[kind] = allowed.apply(kinds.get(kind).getFirst());
      for (PodClass.Item item : kinds.get(kind)) {
        kindOf.put(item.index, kind);
      }
    }
    List<PatternProgram.Pattern> patterns = new ArrayList<>();
    for (OpenNode node : nodes) {
      int[] counts = new int[kinds.size()];
      boolean any = false;
      for (int i = 0; i < node.items.size(); i++) {
        Integer kind = kindOf.get(node.items.get(i).index);
        if (kind != null && kindShapes[kind].get(node.shape.index)) {
          counts[kind] += node.itemCounts.get(i);
          any = true;
        }
      }
      if (any) {
        patterns.add(new PatternProgram.Pattern(node.shape.index, counts, node.zoneMask,
            node.shape.price(node.zoneMask)));
      }
    }
    return patterns;
  }

  /** Picks what is left of the pattern's pods, at most its count of each kind; false when none of them is left. */
  static boolean takeLeft(PatternProgram.Pattern pattern, List<List<PodClass.Item>> kinds, List<int[]> picks) {
    pick(pattern, kinds, picks);
    return !picks.isEmpty();
  }

  /** The pods of {@code kinds} not placed yet. */
  static int left(List<List<PodClass.Item>> kinds) {
    int left = 0;
    for (List<PodClass.Item> kind : kinds) {
      for (PodClass.Item item : kind) {
        left += item.remaining;
      }
    }
    return left;
  }

  /** Picks the pattern's pods from its kinds' items; false when some kind has too few left. */
  static boolean take(PatternProgram.Pattern pattern, List<List<PodClass.Item>> kinds, List<int[]> picks) {
    return pick(pattern, kinds, picks) == 0 && !picks.isEmpty();
  }

  /** Picks up to the pattern's count of each kind into {@code picks}; returns how many pods it fell short by. */
  private static int pick(PatternProgram.Pattern pattern, List<List<PodClass.Item>> kinds, List<int[]> picks) {
    picks.clear();
    int missing = 0;
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
      missing += want;
    }
    return missing;
  }
}
