package dev.flotilla.scheduling;

import java.util.Comparator;

/**
 * How a packing proceeds. None wins on every mix: following the bound's assignment first, then opening nodes for the
 * most CPU-heavy pods (so that memory-heavy pods are left to fill them), does best where the bound mixes pods finely;
 * a greedy packing by the pods' worth does best where rounding the bound's small nodes wastes room; the pattern
 * program does best where pods are large for the nodes and few kinds repeat (most deployments), and is only run
 * there. On mixes of many kinds with few pods each, opening nodes for the most CPU-heavy or the most memory-heavy pods
 * first (after following the bound, or not) often wins; those four, and the packing for pods that set the node count,
 * run only up to {@link #MORE_PACKINGS_CLASSES} classes, as each packing's time grows with the classes. The scheduler
 * runs each and keeps the cheapest plan; the earlier strategy wins ties ({@link PackingSelection}). Changes when a way
 * of packing is added or its order changes.
 */
enum PackingStrategy {
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
   * The pattern program over pods capped per node on their own kind too (one shard to a node, a hostname spread): a
   * pattern gives such a pod's node the pods that fill it, where the greedy packings open it alone once cheaper nodes
   * took the rest. It runs beside the program without them, which does better where rounding the capped kinds'
   * patterns down leaves their pods for nodes of their own.
   */
  PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
  /**
   * The pattern program over up to {@link PatternPacking#SEEDED_KINDS_MANY_PODS} kinds (see
   * {@link PatternPacking#seededRuns}), started from the nodes of the plan kept so far: above
   * {@link PatternPacking#KINDS} kinds its own first patterns do not converge in its rounds, but it improves on a
   * packing's nodes by mixing them. Run only after the others ({@link PackingSelection}).
   */
  PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
  /**
   * {@link #PATTERN_PROGRAM_THEN_GREEDY}'s optimum once more, each pattern's last node rounded up where the program
   * bought at least {@link Packer#ROUND_UP_PART} of it: a few pods, for which the program buys parts of nodes that
   * rounded down open none. Run after the others, and only where that packing's rounding down left half the
   * program's pods or more to the greedy fill ({@link PackingSelection}): a packing more for every plan, where
   * rounding down opens most nodes, would cost its time for little (rounding up in place of rounding down made the
   * bench's plans dearer). Same anchor order as that packing, whose kinds its patterns count.
   */
  PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY(false, true, false, GREEDY_BY_WORTH.anchorOrder),
  /**
   * As {@link #BOUND_THEN_GREEDY_BY_WORTH}, where a class capped per node sets how many nodes of a shape the bound buys
   * (see {@link BoundFollowing#SETS_NODE_COUNT}): its pods anchor first, each of their nodes fills with the pods left
   * worth most there ({@link NodeFilling#fillByWorth}), and they open while what fills them pays for the node over the
   * cheapest one they need alone. Run only where some class does ({@link BoundFollowing#capsSetNodeCount}) and up to
   * {@link #MORE_PACKINGS_CLASSES} classes (each trial node's fill weighs every class left), beside the others.
   */
  BOUND_FILLING_CAPPED_NODES_THEN_GREEDY_BY_WORTH(true, false, true, GREEDY_BY_WORTH.anchorOrder),
  /**
   * Greedy, pods capped per node first where they need many of the nodes the bound buys ({@link CappedNodes}): each
   * of their nodes is tried in each of its zones, takes a pod of each other capped kind, and is sized near its fair
   * share of the pods free of per-node topology. Needs no per-class bound, so it runs at any number of classes.
   */
  GREEDY_CAPPED_NODES_FIRST(false, false, false, Comparator.comparingInt((PodClass.Item i) ->
          CappedNodes.capped(i) ? 0 : 1)
      .thenComparingDouble(i -> -i.value).thenComparingInt(i -> i.index));

  /** Above this many pod classes the strategies for few classes ({@link #fewClassesOnly}) do not run. */
  static final int MORE_PACKINGS_CLASSES = 1_000;

  final boolean followBound;
  final boolean patternProgram;
  /** Run only up to {@link #MORE_PACKINGS_CLASSES} classes. */
  final boolean fewClassesOnly;
  final Comparator<PodClass.Item> anchorOrder;

  PackingStrategy(boolean followBound, boolean patternProgram, boolean fewClassesOnly,
      Comparator<PodClass.Item> anchorOrder) {
    this.followBound = followBound;
    this.patternProgram = patternProgram;
    this.fewClassesOnly = fewClassesOnly;
    this.anchorOrder = anchorOrder;
  }
}
