package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Packs pod classes onto new nodes, guided by the fractional bound.
 *
 * <p>Each new node starts from the most valuable pod left (its share of the bound), is tried on a few shapes (those
 * the bound's optimum uses first, then those whose resources are worth most at the bound's prices), and is filled
 * greedily: the next pods are those whose requests best match the room that is left, by direction across CPU and
 * memory and then by a normalised dot product, so no one resource runs out while others idle. The shape whose fill
 * is worth most per dollar wins. Fills repeat for identical nodes in few steps because classes are taken in bulk.
 * Before filling, a packing may follow the bound's assignment, or open the nodes of the pattern program's optimum
 * (see {@link Strategy}).
 *
 * <p>Cost: with S streams (pods alike in constraints), B direction bins and K tried shapes, a node costs
 * O(K · picks · S · B · log n); picks per node are logarithmic in the pods of a class it takes.
 */
final class Packer {

  static final int SHAPES_TRIED = 24;
  /** Of the shapes tried, how many are the cheapest per pod for the anchor's class alone. */
  static final int ALONE_TRIED = 4;
  private static final int BINS = 12;
  private static final int SCAN = 6;
  private static final double GIB = 1L << 30;

  private static final class Stream {
    final PodClass representative;
    final int group;
    final long zoneMask;
    /** The zones a node bought already may be in to take its pods: its class's where its zone is only preferred. */
    long boughtZoneMask;
    final int capacityTypeMask;
    /**
     * Its pods carry a capacity-type spread the cluster's scheduler keeps: on a node bought already they keep to their
     * share's capacity type.
     */
    boolean capacitySpread;
    final List<SizeOrderedBin> bins = new ArrayList<>();
    /** Per resource, the least any of its pods requests: a node with less room left takes none of them. */
    long[] least;
    int remaining;

    Stream(PodClass representative, int group, long zoneMask, int capacityTypeMask) {
      this.representative = representative;
      this.group = group;
      this.zoneMask = zoneMask;
      this.capacityTypeMask = capacityTypeMask;
      for (int b = 0; b < BINS; b++) {
        bins.add(new SizeOrderedBin());
      }
    }
  }

  private final List<NodeShape> shapes;
  private final List<BitSet> groupShapes;
  private FractionalBound.Result bound;
  private final int topologyGroups;
  /**
   * Per group, whether a pod of it is on some node already: required hostname affinity to a group of its own lets
   * only the first of them open a node (kube-scheduler's exception for the first pod of such a group), so once one
   * is placed, or runs in the cluster, the others go where pods of the group are. As packings start: {@link #seeded}
   * before any (the cluster's, and in-flight room's).
   */
  private final boolean[] seeded;
  private final boolean[] seededBefore;
  private final double[] sizeWeights;
  private final List<Stream> streams = new ArrayList<>();
  private final ShapeRanking ranking;
  private final Limits limits;
  private int epoch;
  /** While in-flight nodes are filled: they take pods of any NodePool that admits them (see {@link #admits}). */
  private boolean anyPool;
  /** While not 0, only streams confined to these zones are taken (see {@link #fill}). */
  private long localZones;
  /** Per group and zones: whether those zones sell none of the shapes the bound buys for the group. */
  private final Map<String, Boolean> zonesShort = new HashMap<>();
  /** While true, only items with quota left are taken, and no more than their quota. */
  private boolean followingBound;

  /** Below this worth per dollar a node the bound's assignment suggests is left to the greedy phase. */
  static final double BOUND_FILL_EFFICIENCY = 0.97;

  /** NodePool limits as the plan grows. */
  interface Limits {
    boolean allows(NodeShape shape);

    void add(NodeShape shape, int sign);
  }

  Packer(List<NodeShape> shapes, List<BitSet> groupShapes, int topologyGroups, int dims, Limits limits) {
    this(shapes, groupShapes, topologyGroups, dims, limits, new ShapeRanking.Orders());
  }

  /**
   * A packer that ranks shapes with the sorts {@code orders} holds, which it reuses while the groups and the bound are
   * the same objects and sorts again otherwise.
   */
  Packer(List<NodeShape> shapes, List<BitSet> groupShapes, int topologyGroups, int dims, Limits limits,
      ShapeRanking.Orders orders) {
    this.shapes = shapes;
    this.groupShapes = groupShapes;
    this.ranking = new ShapeRanking(shapes, groupShapes, orders);
    this.topologyGroups = topologyGroups;
    this.seeded = new boolean[topologyGroups];
    this.seededBefore = new boolean[topologyGroups];
    this.limits = limits;
    this.sizeWeights = new double[dims];
    sizeWeights[Dims.CPU] = 1.0 / 1000;
    sizeWeights[Dims.MEMORY] = 1.0 / (4 * GIB);
    sizeWeights[Dims.PODS] = 1.0 / 100;
    for (int r = Dims.PODS + 1; r < dims; r++) {
      sizeWeights[r] = 1e-9;
    }
  }

  /** Sorts the items into streams and direction bins; the first step of every packing. */
  void prepare(List<PodClass.Item> items) {
    Map<String, Integer> byKey = new HashMap<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      String key = c.signature + "/" + item.group + "/" + c.profile + "/" + item.zoneMask + "/" + item.capacityTypeMask;
      item.stream = byKey.computeIfAbsent(key, k -> {
        streams.add(new Stream(c, item.group, item.zoneMask, item.capacityTypeMask));
        return streams.size() - 1;
      });
      Stream stream = streams.get(item.stream);
      stream.boughtZoneMask |= item.softZone ? c.zoneMask : item.zoneMask;
      stream.capacitySpread |= !item.softCapacity && c.template.spreads().stream()
          .anyMatch(s -> s.topologyKey().equals(dev.flotilla.model.WellKnownLabels.CAPACITY_TYPE));
      if (stream.least == null) {
        stream.least = c.requests.clone();
      }
      for (int r = 0; r < c.requests.length; r++) {
        stream.least[r] = Math.min(stream.least[r], c.requests[r]);
      }
      item.size = size(c.requests);
      stream.bins.get(angleBin(c.requests)).add(item);
      stream.remaining++;
    }
  }

  /** Starts from the groups {@code other} found seeded before its packings (the cluster's, in-flight room's). */
  void seedFrom(Packer other) {
    for (int g = 0; g < topologyGroups; g++) {
      if (other.seededBefore[g]) {
        seed(g);
      }
    }
  }

  /** Marks a group that has pods in the cluster already (see {@link #seeded}). */
  void seed(int group) {
    seeded[group] = true;
    seededBefore[group] = true;
  }

  /** Fills the spare room of in-flight nodes, each in turn, with the pods that match it best. */
  void fillInFlight(List<OpenNode> inFlight) {
    anyPool = true;
    for (OpenNode node : inFlight) {
      for (int g = 0; g < topologyGroups; g++) {
        seeded[g] |= node.counts[g] > 0;
      }
    }
    for (OpenNode node : inFlight) {
      epoch++;
      PodClass.Item pick = choose(node);
      while (pick != null) {
        int n = bulk(node, pick);
        if (n <= 0) {
          break;
        }
        place(node, pick, n);
        seed(pick);
        pick.remaining -= n;
        if (pick.remaining == 0) {
          remove(pick);
        }
        pick = choose(node);
      }
    }
    anyPool = false;
    System.arraycopy(seeded, 0, seededBefore, 0, topologyGroups);
  }

  /**
   * How a packing proceeds. None wins on every mix: following the bound's assignment first, then opening nodes for
   * the most CPU-heavy pods (so that memory-heavy pods are left to fill them), does best where the bound mixes pods
   * finely; a greedy packing by the pods' worth does best where rounding the bound's small nodes wastes room; the
   * pattern program does best where pods are large for the nodes and few kinds repeat (most deployments), and is
   * only run there. On mixes of many kinds with few pods each, opening nodes for the most CPU-heavy or the most
   * memory-heavy pods first (after following the bound, or not) often wins; those four, and the packing for pods
   * that set the node count, run only up to {@link #MORE_PACKINGS_CLASSES} classes, as each packing's time grows with
   * the classes. The scheduler runs each and keeps the cheapest plan; the earlier strategy wins ties.
   */
  enum Strategy {
    BOUND_THEN_CPU_HEAVY_FIRST(true, false, false, Comparator.comparingDouble((PodClass.Item i) ->
            -(double) i.podClass.requests[Dims.CPU] / Math.max(1, i.podClass.requests[Dims.MEMORY] >> 20))
        .thenComparingDouble(i -> -i.value).thenComparingInt(i -> i.index)),
    GREEDY_BY_WORTH(false, false, false, Comparator.comparingDouble((PodClass.Item i) -> -i.value)
        .thenComparingInt(i -> i.index)),
    PATTERN_PROGRAM_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
    BOUND_THEN_GREEDY_BY_WORTH(true, false, true, GREEDY_BY_WORTH.anchorOrder),
    BOUND_THEN_MEMORY_HEAVY_FIRST(true, false, true, Comparator.comparingDouble((PodClass.Item i) ->
            (double) i.podClass.requests[Dims.CPU] / Math.max(1, i.podClass.requests[Dims.MEMORY] >> 20))
        .thenComparingDouble(i -> -i.value).thenComparingInt(i -> i.index)),
    GREEDY_CPU_HEAVY_FIRST(false, false, true, BOUND_THEN_CPU_HEAVY_FIRST.anchorOrder),
    GREEDY_MEMORY_HEAVY_FIRST(false, false, true, BOUND_THEN_MEMORY_HEAVY_FIRST.anchorOrder),
    /**
     * The pattern program over pods capped per node on their own kind too (one shard to a node, a hostname spread):
     * a pattern gives such a pod's node the pods that fill it, where the greedy packings open it alone once cheaper
     * nodes took the rest. It runs beside the program without them, which does better where rounding the capped
     * kinds' patterns down leaves their pods for nodes of their own.
     */
    PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
    /**
     * The pattern program over up to {@link PatternPacking#SEEDED_KINDS} kinds, started from the nodes of the plan
     * kept so far: above {@link PatternPacking#KINDS} kinds its own first patterns do not converge in its rounds, but
     * it improves on a packing's nodes by mixing them. Run only after the others ({@link PackingSelection}).
     */
    PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
    /**
     * As {@link #BOUND_THEN_GREEDY_BY_WORTH}, where a class capped per node sets how many nodes of a shape the bound
     * buys (see {@link #SETS_NODE_COUNT}): its pods anchor first, each of their nodes fills with the pods left worth
     * most there ({@link #fillByWorth}), and they open while what fills them pays for the node over the cheapest one
     * they need alone. Run only where some class does ({@link #capsSetNodeCount}) and up to
     * {@link #MORE_PACKINGS_CLASSES} classes (each trial node's fill weighs every class left), beside the others.
     */
    BOUND_FILLING_CAPPED_NODES_THEN_GREEDY_BY_WORTH(true, false, true, GREEDY_BY_WORTH.anchorOrder);

    final boolean followBound;
    final boolean patternProgram;
    /** Run only up to {@link #MORE_PACKINGS_CLASSES} classes. */
    final boolean fewClassesOnly;
    final Comparator<PodClass.Item> anchorOrder;

    Strategy(boolean followBound, boolean patternProgram, boolean fewClassesOnly,
        Comparator<PodClass.Item> anchorOrder) {
      this.followBound = followBound;
      this.patternProgram = patternProgram;
      this.fewClassesOnly = fewClassesOnly;
      this.anchorOrder = anchorOrder;
    }
  }

  /** Above this many pod classes the strategies for few classes ({@link Strategy#fewClassesOnly}) do not run. */
  static final int MORE_PACKINGS_CLASSES = 1_000;

  /**
   * Places every item left on new nodes; what it cannot place (NodePool limits) is counted in {@code unplaced}.
   * {@link #prepare} must have run. {@code kept} are the nodes a pattern program starting from a plan starts from.
   */
  List<OpenNode> pack(List<PodClass.Item> items, FractionalBound.Result fractionalBound, Strategy strategy,
      List<OpenNode> kept) {
    this.bound = fractionalBound;
    System.arraycopy(seededBefore, 0, seeded, 0, topologyGroups);
    PodClass.Item[] order = items.toArray(new PodClass.Item[0]);
    // pods with hostname affinity to others' pods open no node: they join those the others open
    Arrays.sort(order, Comparator.comparing((PodClass.Item i) -> i.podClass.follower)
        .thenComparing(strategy.anchorOrder));

    List<OpenNode> nodes = new ArrayList<>();
    List<int[]> bestPicks = new ArrayList<>();
    List<int[]> picks = new ArrayList<>();
    if (strategy.followBound) {
      followBound(items, order, nodes, picks,
          strategy == Strategy.BOUND_FILLING_CAPPED_NODES_THEN_GREEDY_BY_WORTH);
    }
    if (strategy.patternProgram) {
      packPatternProgram(items, order, nodes, strategy, kept);
    }
    int next = 0;
    while (true) {
      while (next < order.length && order[next].remaining == 0) {
        next++;
      }
      if (next == order.length) {
        break;
      }
      PodClass.Item anchor = order[next];
      if (opensNoNode(anchor)) {
        remove(anchor);
        anchor.unplaced = anchor.remaining;
        anchor.remaining = 0;
        anchor.noAffineNode = true;
        continue;
      }
      boolean ownFirst = ownPodsFirst(anchor);
      NodeShape best = null;
      double bestEfficiency = -1;
      int tried = 0;
      for (int s : ranked(anchor)) {
        NodeShape shape = shapes.get(s);
        if (!allows(anchor, shape) || !limits.allows(shape)) {
          continue;
        }
        epoch++;
        picks.clear();
        OpenNode node = new OpenNode(shape, anchor.zoneMask, topologyGroups);
        fill(node, anchor, picks, ownFirst);
        if (picks.isEmpty()) {
          continue;
        }
        double efficiency = efficiency(anchor, ownFirst, node, items, picks);
        if (gathers(anchor) && taken(anchor, items, picks) < anchor.remaining) {
          // pods that select their own kind on the hostname all join the first one's node: a node too small for them
          // all leaves the rest with nowhere to go
          efficiency *= 1e-3;
        }
        if (efficiency > bestEfficiency) {
          bestEfficiency = efficiency;
          best = shape;
          bestPicks.clear();
          bestPicks.addAll(picks);
        }
        if (++tried == SHAPES_TRIED) {
          break;
        }
      }
      if (best == null) {
        // No shape the pool limits allow can hold it: leave it for the caller to report.
        remove(anchor);
        anchor.unplaced = anchor.remaining;
        anchor.remaining = 0;
        continue;
      }
      nodes.add(commit(best, anchor, items, bestPicks));
    }
    return nodes;
  }

  /**
   * First phase: for each shape the bound's optimum buys, open nodes of it filled with the pods the optimum assigns
   * to it, while such nodes come out nearly as good as the bound says (rounding leaves the rest to the greedy phase).
   */
  private void followBound(List<PodClass.Item> items, PodClass.Item[] order, List<OpenNode> nodes, List<int[]> picks,
      boolean fillCappedNodes) {
    Map<Integer, List<FractionalBound.Assignment>> byShape = new java.util.TreeMap<>();
    for (FractionalBound.Assignment a : bound.assignments()) {
      byShape.computeIfAbsent(a.shape(), k -> new ArrayList<>()).add(a);
    }
    List<Integer> shapeOrder = new ArrayList<>(byShape.keySet());
    shapeOrder.sort(Comparator.comparingDouble((Integer s) -> -bound.nodes()[s]).thenComparingInt(s -> s));
    Map<Integer, List<PodClass.Item>> itemsOfClass = new HashMap<>();
    for (PodClass.Item item : items) {
      itemsOfClass.computeIfAbsent(item.boundClass, k -> new ArrayList<>()).add(item);
    }
    followingBound = true;
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
        boolean ownFirst = anchor.quota > 0 && ownPodsFirst(anchor);
        while (anchor.quota > 0 && anchor.remaining > 0 && allows(anchor, shape) && limits.allows(shape)) {
          epoch++;
          picks.clear();
          OpenNode trial = new OpenNode(shape, anchor.zoneMask, topologyGroups);
          // a node bought for a class that sets the count fills from every pod left, not only from those the bound
          // assigns this shape: once the shape's first nodes took those, the rest would open nearly empty
          boolean setsCount = anchor.boundClass >= 0 && setCount.get(anchor.boundClass);
          followingBound = !setsCount;
          if (setsCount) {
            fillByWorth(trial, anchor, items, picks);
          } else {
            fill(trial, anchor, picks, ownFirst);
          }
          followingBound = true;
          if (picks.isEmpty() || trial.value / shape.price(trial.zoneMask) < BOUND_FILL_EFFICIENCY
              && !(setsCount && fillPaysForUpsize(anchor, trial, items, picks))) {
            break;
          }
          nodes.add(commit(shape, anchor, items, picks));
        }
      }
      for (PodClass.Item item : items) {
        item.quota = 0;
      }
    }
    followingBound = false;
  }

  /**
   * A class capped per node whose pods the bound puts on a shape at (nearly) their cap on every node of it: the
   * optimum buys those nodes for them, and what else it assigns there fills them. Each such pod needs a node of its own
   * whatever fills it, and the greedy phase, reaching it after other nodes took the pods that would fill it, opens it
   * alone on a small node (a thousand shards of a store, one per node, on nodes 40% idle).
   */
  static final double SETS_NODE_COUNT = 0.9;

  /** Per anchor, while a shape is followed: the pods it took on a trial node, and the cheapest node for them alone. */
  private final Map<PodClass.Item, double[]> alone = new HashMap<>();

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
   * Fills {@code node} with as many of {@code anchor}'s pods as it may take, then with the pods that follow others by
   * hostname affinity and may join it (as {@link #choose} puts them first), then with the most valuable set of pods
   * free of per-node topology that its room holds, at the bound's prices (the best {@link PatternSearch} finds in its
   * budget), then as {@link #fill} does with what room is left.
   */
  private void fillByWorth(OpenNode node, PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    for (int n = bulk(node, anchor); n > 0; n = bulk(node, anchor)) {
      take(node, anchor, n, picks);
    }
    if (picks.isEmpty()) {
      return;
    }
    for (PodClass.Item pick = choose(node); pick != null && pick.podClass.follower; pick = choose(node)) {
      int n = bulk(node, pick);
      if (n <= 0) {
        break;
      }
      take(node, pick, n, picks);
    }
    int shapeIndex = node.shape.index;
    int capacityBit = 1 << node.shape.capacityType.ordinal();
    List<PodClass.Item> free = new ArrayList<>();
    for (PodClass.Item item : items) {
      PodClass c = item.podClass;
      if (item != anchor && item.available(epoch) > 0 && c.countsInNoNodeGroup() && c.needs.length == 0 && !c.follower
          && (item.capacityTypeMask & capacityBit) != 0 && groupShapes.get(item.group).get(shapeIndex)
          && (zones(item) & node.zoneMask) != 0 && Dims.fits(c.requests, node.room)) {
        free.add(item);
      }
    }
    if (!free.isEmpty()) {
      long[][] requests = new long[free.size()][];
      long[] zoneMasks = new long[free.size()];
      int[] most = new int[free.size()];
      double[] worth = new double[free.size()];
      for (int k = 0; k < free.size(); k++) {
        PodClass.Item item = free.get(k);
        requests[k] = item.podClass.requests;
        zoneMasks[k] = zones(item);
        most[k] = item.available(epoch);
        worth[k] = item.value;
      }
      PatternSearch search = new PatternSearch(node.room.clone(), requests, zoneMasks, most, worth,
          PatternPacking.BUDGET).run(node.zoneMask);
      for (int k = 0; k < free.size(); k++) {
        if (search.best[k] > 0) {
          take(node, free.get(k), search.best[k], picks);
        }
      }
    }
    for (PodClass.Item pick = choose(node); pick != null; pick = choose(node)) {
      int more = bulk(node, pick);
      if (more <= 0) {
        break;
      }
      take(node, pick, more, picks);
    }
  }

  /** Places {@code n} of the item's pods on a node only tried, counting them taken for this trial. */
  private void take(OpenNode node, PodClass.Item item, int n, List<int[]> picks) {
    place(node, item, n);
    if (item.simEpoch != epoch) {
      item.simEpoch = epoch;
      item.simTaken = 0;
    }
    item.simTaken += n;
    picks.add(new int[] {item.index, n});
  }

  /**
   * For an anchor whose class sets its shape's node count (see {@link #SETS_NODE_COUNT}): whether the rest of the
   * trial node is worth, at the bound's prices, what the node costs over the cheapest node its anchor pods need alone.
   * Its pods need that node anyway; the rest pays for the larger one.
   */
  private boolean fillPaysForUpsize(PodClass.Item anchor, OpenNode trial, List<PodClass.Item> items,
      List<int[]> picks) {
    int taken = taken(anchor, items, picks);
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

  /**
   * Opens the nodes of the pattern program's optimum (see {@link PatternProgram}), each pattern rounded down to whole
   * nodes, for the pods free of per-node topology (with {@code capped}, and those capped per node on their own kind);
   * the few pods rounding leaves go to the greedy fill.
   *
   * <p>Cost: at most {@link PatternPacking#ROUNDS} rounds, each {@link PatternPacking#CANDIDATES} searches of at most
   * {@link PatternPacking#BUDGET} states and one simplex over the patterns kept (at most kinds + candidates rows, kinds
   * columns); independent of the number of pods.
   */
  private void packPatternProgram(List<PodClass.Item> items, PodClass.Item[] order, List<OpenNode> nodes,
      Strategy strategy, List<OpenNode> kept) {
    List<List<PodClass.Item>> kinds = PatternPacking.kinds(Arrays.asList(order),
        strategy == Strategy.PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY,
        strategy == Strategy.PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY ? PatternPacking.SEEDED_KINDS
            : PatternPacking.KINDS);
    if (kinds == null || kinds.isEmpty()) {
      return;
    }
    PatternProgram.Result result = PatternPacking.solve(kinds, shapes, this::ranked,
        item -> groupShapes.get(item.group), limits, kept);
    Integer[] byNodes = new Integer[result.patterns().size()];
    for (int i = 0; i < byNodes.length; i++) {
      byNodes[i] = i;
    }
    Arrays.sort(byNodes, Comparator.comparingDouble((Integer i) -> -result.nodes()[i]).thenComparingInt(i -> i));
    List<int[]> picks = new ArrayList<>();
    for (int p : byNodes) {
      PatternProgram.Pattern pattern = result.patterns().get(p);
      NodeShape shape = shapes.get(pattern.shape());
      int whole = (int) Math.floor(result.nodes()[p] + 1e-6);
      for (int r = 0; r < whole && limits.allows(shape) && PatternPacking.take(pattern, kinds, picks); r++) {
        nodes.add(commit(shape, items.get(picks.getFirst()[0]), items, picks));
      }
    }
  }

  private OpenNode commit(NodeShape shape, PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    OpenNode node = new OpenNode(shape, anchor.zoneMask, topologyGroups);
    for (int[] pick : picks) {
      PodClass.Item item = items.get(pick[0]);
      place(node, item, pick[1]);
      seed(item);
      item.remaining -= pick[1];
      item.quota = Math.max(0, item.quota - pick[1]);
      if (item.remaining == 0) {
        remove(item);
      }
    }
    limits.add(shape, 1);
    return node;
  }

  private int takeable(PodClass.Item item) {
    int available = item.available(epoch);
    return followingBound ? Math.min(available, item.quota - (item.simEpoch == epoch ? item.simTaken : 0)) : available;
  }

  private void remove(PodClass.Item item) {
    Stream stream = streams.get(item.stream);
    if (stream.bins.get(angleBin(item.podClass.requests)).remove(item)) {
      stream.remaining--;
    }
  }

  /**
   * Whether a node opened for {@code anchor} takes its zone's own pods first (see {@link #fill}): for a share zone
   * topology pinned to zones that sell none of the shapes the bound buys for its group (us-east-1e sells 58 older
   * types). There, pods free to run anywhere would pay the zones' premium; where the bound's shapes are sold, they
   * fill and balance a pinned node at no loss, and keeping them out would only open more, smaller nodes. Where the
   * packing follows the zone-aware program (see {@code Scheduler}), each share's group is sold in its zones and this
   * never holds: it is for packings guided by the plain program, as after a NodePool fallback.
   */
  private boolean ownPodsFirst(PodClass.Item anchor) {
    if (!anchor.pinned) {
      return false;
    }
    int group = anchor.group;
    return zonesShort.computeIfAbsent(group + "/" + anchor.zoneMask, k -> {
      BitSet compatible = groupShapes.get(group);
      for (int s = compatible.nextSetBit(0); s >= 0; s = compatible.nextSetBit(s + 1)) {
        if (bound.nodes()[s] > 1e-9 && (shapes.get(s).zoneMask & anchor.zoneMask) != 0) {
          return false;
        }
      }
      return true;
    });
  }

  /**
   * Fills {@code node} starting with {@code anchor}, recording (item, count) picks; takes nothing for real. With
   * {@code ownFirst}, the node first takes the pods that may only run in the anchor's zones, and only then pods free to
   * go elsewhere, into what those leave.
   */
  private void fill(OpenNode node, PodClass.Item anchor, List<int[]> picks, boolean ownFirst) {
    localZones = ownFirst ? anchor.zoneMask : 0;
    PodClass.Item pick = anchor;
    while (true) {
      while (pick != null) {
        int n = bulk(node, pick);
        if (n <= 0) {
          if (pick == anchor) {
            localZones = 0;
            return;
          }
          break;
        }
        take(node, pick, n, picks);
        pick = choose(node);
      }
      if (localZones == 0) {
        return;
      }
      localZones = 0;
      pick = choose(node);
    }
  }

  /**
   * What a node opened for {@code anchor} is worth per dollar. With {@code ownFirst}, the pods free to go elsewhere
   * lower the node's cost by their worth rather than add to its worth: in zones short of the bound's shapes they
   * would cost more here than elsewhere, so a node is judged by what it costs its zones' own pods.
   */
  private double efficiency(PodClass.Item anchor, boolean ownFirst, OpenNode node, List<PodClass.Item> items,
      List<int[]> picks) {
    double price = node.shape.price(node.zoneMask);
    if (!ownFirst) {
      return node.value / price;
    }
    double local = 0;
    double free = 0;
    for (int[] pick : picks) {
      PodClass.Item item = items.get(pick[0]);
      double v = item.value * pick[1];
      if ((item.zoneMask & ~anchor.zoneMask) == 0) {
        local += v;
      } else {
        free += v;
      }
    }
    return local / Math.max(1e-9 * price, price - free);
  }

  /** How many of the item to add now: half of what could go, so the next pick can rebalance the room. */
  private int bulk(OpenNode node, PodClass.Item item) {
    long max = Math.min(takeable(item), Dims.copiesThatFit(item.podClass.requests, node.room));
    max = Math.min(max, allowed(item.podClass, node, (int) Math.min(max, Integer.MAX_VALUE)));
    if ((zones(item) & node.zoneMask) == 0) {
      return 0;
    }
    return max <= 2 ? (int) max : (int) ((max + 1) / 2);
  }

  /**
   * Whether no new node may take the item's pods for their hostname affinity: they follow another kind, or their own
   * kind is on a node already (every other pod of it must join that node).
   */
  private boolean opensNoNode(PodClass.Item item) {
    if (item.podClass.follower) {
      return true;
    }
    for (int g : item.podClass.needs) {
      if (seeded[g]) {
        return true;
      }
    }
    return false;
  }

  /** Whether the anchor's pods select their own kind on the hostname and none of that kind is on a node yet. */
  private boolean gathers(PodClass.Item anchor) {
    for (int g : anchor.podClass.needs) {
      if (!seeded[g] && Topology.contains(anchor.podClass.matches, g)) {
        return true;
      }
    }
    return false;
  }

  private static int taken(PodClass.Item anchor, List<PodClass.Item> items, List<int[]> picks) {
    int taken = 0;
    for (int[] pick : picks) {
      if (items.get(pick[0]) == anchor) {
        taken += pick[1];
      }
    }
    return taken;
  }

  /** How many of {@code wanted} pods of the class the node can still take ({@link Topology#allowedOn}, seeds). */
  private int allowed(PodClass c, OpenNode node, int wanted) {
    for (int g : c.needs) {
      if (node.counts[g] == 0 && seeded[g]) {
        return 0;
      }
    }
    return Topology.allowedOn(c, node.counts, node.repelled, wanted);
  }

  /** The groups the item's pods count in have pods on a node for good (not a node only tried). */
  private void seed(PodClass.Item item) {
    for (int g : item.podClass.matches) {
      seeded[g] = true;
    }
  }

  private void place(OpenNode node, PodClass.Item item, int n) {
    long[] req = item.podClass.requests;
    for (int r = 0; r < req.length; r++) {
      node.room[r] -= req[r] * n;
    }
    node.zoneMask &= zones(item);
    Topology.count(item.podClass, node.counts, node.repelled, n);
    node.items.add(item);
    node.itemCounts.add(n);
    node.value += item.value * n;
  }

  /** The zones the item's pods may take a node in: any its class may use, on a node bought already, if preferred. */
  private long zones(PodClass.Item item) {
    return anyPool && item.softZone ? item.podClass.zoneMask : item.zoneMask;
  }

  /**
   * Whether a new node of this shape may take the item's pods: a shape of its group (its class's heaviest pool, or
   * the pool a zone it is pinned to falls back to) that holds one of them.
   */
  private boolean allows(PodClass.Item item, NodeShape shape) {
    return groupShapes.get(item.group).get(shape.index) && Dims.fits(item.podClass.requests, shape.room);
  }

  /**
   * Whether a node bought already may take the stream's pods, whatever its NodePool: its signature admits the node's
   * shape, and its capacity type, where a capacity-type spread narrowed the stream to some. Karpenter's scheduler
   * likewise tries existing and in-flight nodes before any NodePool's template; only new nodes follow pool weights.
   */
  private static boolean admits(Stream stream, NodeShape shape) {
    return stream.representative.admits.get(shape.index) && (!stream.capacitySpread
        || (stream.capacityTypeMask & 1 << shape.capacityType.ordinal()) != 0);
  }

  /** The pod that best matches what room is left, among every stream the node can take; null when none fits. */
  private PodClass.Item choose(OpenNode node) {
    int shapeIndex = node.shape.index;
    int capacityBit = 1 << node.shape.capacityType.ordinal();
    int roomBin = angleBin(node.room);
    double roomSize = size(node.room);
    PodClass.Item best = null;
    double bestScore = -1;
    for (Stream stream : streams) {
      if (stream.remaining == 0 || ((anyPool ? stream.boughtZoneMask : stream.zoneMask) & node.zoneMask) == 0
          || localZones != 0 && (stream.zoneMask & ~localZones) != 0
          || !Dims.fits(stream.least, node.room)
          || !(anyPool ? admits(stream, node.shape) : (stream.capacityTypeMask & capacityBit) != 0
              && groupShapes.get(stream.group).get(shapeIndex))
          || allowed(stream.representative, node, 1) == 0) {
        continue;
      }
      PodClass.Item candidate = candidate(stream, node, roomBin, roomSize);
      if (candidate != null) {
        // a pod whose hostname affinity this node meets goes first: few nodes do, the others' pods fit anywhere
        double score = dot(candidate.podClass.requests, node.room, node.shape.room)
            + (stream.representative.follower ? 10 : 0);
        if (score > bestScore) {
          bestScore = score;
          best = candidate;
        }
      }
    }
    return best;
  }

  private PodClass.Item candidate(Stream stream, OpenNode node, int roomBin, double roomSize) {
    for (int d = 0; d < BINS; d++) {
      for (int side = 0; side < (d == 0 ? 1 : 2); side++) {
        int b = side == 0 ? roomBin - d : roomBin + d;
        if (b < 0 || b >= BINS) {
          continue;
        }
        SizeOrderedBin bin = stream.bins.get(b);
        if (bin.isEmpty()) {
          continue;
        }
        int scanned = 0;
        for (int at = bin.first(roomSize); at < bin.end(); at = bin.after(at)) {
          if (++scanned > SCAN) {
            break;
          }
          PodClass.Item item = bin.at(at);
          // a new node's shape is one of the stream's group (choose checked it) and holds what fits its room
          if (takeable(item) > 0 && Dims.fits(item.podClass.requests, node.room)
              && (!anyPool || item.podClass.admits.get(node.shape.index) && (zones(item) & node.zoneMask) != 0)) {
            return item;
          }
        }
      }
    }
    return null;
  }

  /** The shape sorts this packer's ranking made, for the other packings of the same selection to reuse. */
  ShapeRanking.Orders rankingOrders() {
    return ranking.orders();
  }

  private int[] ranked(PodClass.Item item) {
    return ranking.ranked(item, bound);
  }

  private double size(long[] v) {
    double s = 0;
    for (int r = 0; r < v.length; r++) {
      s += v[r] * sizeWeights[r];
    }
    return s;
  }

  private static int angleBin(long[] v) {
    double x = v[Dims.CPU] / 1000.0;
    double y = v[Dims.MEMORY] / (4 * GIB);
    if (x <= 0 && y <= 0) {
      return 0;
    }
    double angle = Math.atan2(Math.max(0, y), Math.max(0, x));
    return Math.min(BINS - 1, (int) (angle / (Math.PI / 2) * BINS));
  }

  /** How well requests line up with the room left, both as fractions of the node. */
  private static double dot(long[] req, long[] room, long[] capacity) {
    double s = 0;
    for (int r = 0; r < req.length; r++) {
      if (capacity[r] > 0) {
        s += ((double) req[r] / capacity[r]) * ((double) room[r] / capacity[r]);
      }
    }
    return s;
  }
}
