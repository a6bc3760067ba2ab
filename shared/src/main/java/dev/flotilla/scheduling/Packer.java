package dev.flotilla.scheduling;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Packs pod classes onto new nodes, guided by the fractional bound: decides which nodes open.
 *
 * <p>Each new node starts from the most valuable pod left (its share of the bound), is tried on a few shapes (those
 * the bound's optimum uses first, then those whose resources are worth most at the bound's prices), and is filled
 * greedily ({@link NodeFilling}): the next pods are those whose requests best match the room that is left
 * ({@link PodStreams}), so no one resource runs out while others idle. The shape whose fill is worth most per dollar
 * wins. Fills repeat for identical nodes in few steps because classes are taken in bulk. Before filling, a packing may
 * follow the bound's assignment ({@link BoundFollowing}), or open the nodes of the pattern program's optimum (see
 * {@link PackingStrategy}). Changes when how a node's shape is chosen, or how a packing's phases run, changes.
 *
 * <p>Cost: with S streams (pods alike in constraints), B direction bins and K tried shapes, a node costs
 * O(K · picks · S · B · log n); picks per node are logarithmic in the pods of a class it takes.
 */
final class Packer {

  static final int SHAPES_TRIED = 24;
  /** Of the shapes tried, how many are the cheapest per pod for the anchor's class alone. */
  static final int ALONE_TRIED = 4;
  /**
   * The pattern program's optimum is packed again with nodes rounded up where rounding them all down left at least
   * this share of its pods to the greedy fill.
   */
  static final double ROUND_UP_LEFT = 0.5;
  /** A pattern's last node is rounded up where the program bought at least this part of it. */
  static final double ROUND_UP_PART = 0.5;

  private final List<NodeShape> shapes;
  private final List<BitSet> groupShapes;
  private FractionalBound.Result bound;
  private final NodeFilling filling;
  private final BoundFollowing boundFollowing;
  private final ShapeRanking ranking;
  private final PoolLimits limits;
  /** Per group and zones: whether those zones sell none of the shapes the bound buys for the group. */
  private final Map<String, Boolean> zonesShort = new HashMap<>();

  Packer(List<NodeShape> shapes, List<BitSet> groupShapes, int topologyGroups, int dims, PoolLimits limits) {
    this(shapes, groupShapes, topologyGroups, dims, limits, new ShapeRanking.Orders());
  }

  /**
   * A packer that ranks shapes with the sorts {@code orders} holds, which it reuses while the groups and the bound are
   * the same objects and sorts again otherwise.
   */
  Packer(List<NodeShape> shapes, List<BitSet> groupShapes, int topologyGroups, int dims, PoolLimits limits,
      ShapeRanking.Orders orders) {
    this.shapes = shapes;
    this.groupShapes = groupShapes;
    this.ranking = new ShapeRanking(shapes, groupShapes, orders);
    this.limits = limits;
    this.filling = new NodeFilling(groupShapes, topologyGroups, dims, limits);
    this.boundFollowing = new BoundFollowing(filling, this::ownPodsFirst, shapes, groupShapes, limits);
  }

  /** Sorts the items into streams and direction bins; the first step of every packing. */
  void prepare(List<PodClass.Item> items) {
    filling.prepare(items);
  }

  /** Starts from the groups {@code other} found seeded before its packings (the cluster's, in-flight room's). */
  void seedFrom(Packer other) {
    filling.seedFrom(other.filling);
    optima = other.optima;
  }

  /** Where the pattern programs this packer solves are kept and looked up (null: each solved afresh). */
  void keepOptimaIn(PatternOptima kept) {
    optima = kept;
  }

  /** Marks a group that has pods in the cluster already (see {@link NodeFilling#seed}). */
  void seed(int group) {
    filling.seed(group);
  }

  /** Fills the spare room of in-flight nodes, each in turn, with the pods that match it best. */
  void fillInFlight(List<OpenNode> inFlight) {
    filling.fillInFlight(inFlight);
  }

  /**
   * The pattern program's optimum, where the last packing rounded it down and left half its pods or more to the
   * greedy fill (see {@link PackingStrategy#PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY}); null after any other packing.
   */
  private PatternProgram.Result roundable;
  private PatternOptima optima;

  /** What {@link #roundable} the last packing left, for another packer to round up; null where none. */
  PatternProgram.Result roundable() {
    return roundable;
  }

  /** The optimum the next packing by {@link PackingStrategy#PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY} rounds up. */
  void roundUp(PatternProgram.Result result) {
    roundable = result;
  }

  /**
   * Places every item left on new nodes; what it cannot place (NodePool limits) is counted in {@code unplaced}.
   * {@link #prepare} must have run. {@code kept} are the nodes a pattern program starting from a plan starts from.
   */
  List<OpenNode> pack(List<PodClass.Item> items, FractionalBound.Result fractionalBound, PackingStrategy strategy,
      List<OpenNode> kept) {
    this.bound = fractionalBound;
    PatternProgram.Result given = roundable;
    roundable = null;
    filling.startPacking();
    PodClass.Item[] order = items.toArray(new PodClass.Item[0]);
    // pods with hostname affinity to others' pods open no node: they join those the others open
    Arrays.sort(order, Comparator.comparing((PodClass.Item i) -> i.podClass.follower)
        .thenComparing(strategy.anchorOrder));

    List<OpenNode> nodes = new ArrayList<>();
    List<int[]> bestPicks = new ArrayList<>();
    List<int[]> picks = new ArrayList<>();
    if (strategy.followBound) {
      boundFollowing.open(bound, items, order, nodes, picks,
          strategy == PackingStrategy.BOUND_FILLING_CAPPED_NODES_THEN_GREEDY_BY_WORTH);
    }
    if (strategy.patternProgram) {
      packPatternProgram(items, order, nodes, strategy, kept, given);
    }
    CappedNodes capped = strategy == PackingStrategy.GREEDY_CAPPED_NODES_FIRST ? new CappedNodes(order) : null;
    int next = 0;
    while (true) {
      while (next < order.length && order[next].remaining == 0) {
        next++;
      }
      if (next == order.length) {
        break;
      }
      PodClass.Item anchor = order[next];
      if (filling.opensNoNode(anchor)) {
        filling.leaveUnplaced(anchor);
        anchor.noAffineNode = true;
        continue;
      }
      boolean cappedAnchor = capped != null && CappedNodes.capped(anchor);
      boolean ownFirst = !cappedAnchor && ownPodsFirst(anchor);
      int[] candidates = cappedAnchor
          ? CappedNodes.within(ranked(anchor), shapes, anchor.zoneMask, capped.fairShare(anchor, items),
              s -> filling.allows(anchor, shapes.get(s)) && limits.allows(shapes.get(s)))
          : ranked(anchor);
      NodeShape best = null;
      double bestEfficiency = -1;
      int tried = 0;
      for (int s : candidates) {
        NodeShape shape = shapes.get(s);
        if (!filling.allows(anchor, shape) || !limits.allows(shape)) {
          continue;
        }
        // a capped pod's node is tried in each of its zones: kept to none, it could take no pod pinned to a zone
        long zonesLeft = cappedAnchor ? anchor.zoneMask & shape.zoneMask : 0;
        boolean filled = false;
        do {
          long zones = zonesLeft == 0 ? anchor.zoneMask : Long.lowestOneBit(zonesLeft);
          zonesLeft &= ~zones;
          picks.clear();
          OpenNode node = filling.beginTrial(shape, zones);
          if (cappedAnchor) {
            filling.fillWithCapped(node, anchor, capped, picks);
          } else {
            filling.fill(node, anchor, picks, ownFirst);
          }
          if (picks.isEmpty()) {
            continue;
          }
          filled = true;
          double efficiency = efficiency(anchor, ownFirst, node, items, picks);
          if (filling.gathers(anchor) && NodeFilling.taken(anchor, items, picks) < anchor.remaining) {
            // pods that select their own kind on the hostname all join the first one's node: a node too small for
            // them all leaves the rest with nowhere to go
            efficiency *= 1e-3;
          }
          if (efficiency > bestEfficiency) {
            bestEfficiency = efficiency;
            best = shape;
            bestPicks.clear();
            bestPicks.addAll(picks);
          }
        } while (zonesLeft != 0);
        if (filled && ++tried == SHAPES_TRIED) {
          break;
        }
      }
      if (best == null) {
        // No shape the pool limits allow can hold it: leave it for the caller to report.
        filling.leaveUnplaced(anchor);
        continue;
      }
      // in every zone its pods allow, as any node: the zone tried only chose which pods it took, and its claim keeps
      // the zones CreateFleet may fall back on
      nodes.add(filling.commit(best, anchor, items, bestPicks));
    }
    return nodes;
  }

  /**
   * Opens the nodes of the pattern program's optimum (see {@link PatternProgram}), each pattern rounded down to whole
   * nodes, for the pods free of per-node topology (with {@code capped}, and those capped per node on their own kind);
   * the few pods rounding leaves go to the greedy fill.
   *
   * <p>Cost: at most {@link PatternPacking#ROUNDS} rounds, each a search of at most {@link PatternPacking#BUDGET}
   * states for each of {@link PatternPacking#CANDIDATES} shapes and each group of its zones admitting other kinds
   * (after a simplex over those kinds for the search's start), and one simplex over the patterns kept (at most kinds +
   * {@link PatternProgram#IDLE_KEPT} + the searches' sets rows, kinds columns); independent of the number of pods.
   */
  private void packPatternProgram(List<PodClass.Item> items, PodClass.Item[] order, List<OpenNode> nodes,
      PackingStrategy strategy, List<OpenNode> kept, PatternProgram.Result given) {
    List<List<PodClass.Item>> kinds = PatternPacking.kinds(Arrays.asList(order),
        strategy == PackingStrategy.PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY,
        strategy == PackingStrategy.PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY
            ? PatternPacking.SEEDED_KINDS_MANY_PODS : PatternPacking.KINDS);
    boolean roundUp = strategy == PackingStrategy.PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY;
    // the optimum given is over the kinds of the packing that solved it: the same start and anchor order give the
    // same kinds, in the same order, which each pattern's counts index
    if (kinds == null || kinds.isEmpty() || roundUp && (given == null
        || given.patterns().stream().anyMatch(p -> p.counts().length != kinds.size()))) {
      return;
    }
    PatternProgram.Result result = roundUp ? given : PatternPacking.solve(kinds, shapes, this::ranked,
        item -> groupShapes.get(item.group), limits, kept, optima);
    int programPods = PatternPacking.left(kinds);
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
        nodes.add(filling.commit(shape, items.get(picks.getFirst()[0]), items, picks));
      }
    }
    // a few pods: the program buys parts of nodes, which rounded down open none, and the greedy fill is left the
    // lot. Where rounding down left it half the program's pods or more, the packing is tried once more from the same
    // optimum (PackingSelection), each pattern whose last node the program bought at least half of then rounded up
    // with what is left of its pods
    if (PatternPacking.left(kinds) < ROUND_UP_LEFT * programPods) {
      return;
    }
    if (!roundUp) {
      roundable = strategy == PackingStrategy.PATTERN_PROGRAM_THEN_GREEDY ? result : null;
      return;
    }
    Integer[] byPart = byNodes.clone();
    Arrays.sort(byPart, Comparator.comparingDouble((Integer i) -> -part(result.nodes()[i])).thenComparingInt(i -> i));
    for (int p : byPart) {
      PatternProgram.Pattern pattern = result.patterns().get(p);
      NodeShape shape = shapes.get(pattern.shape());
      if (part(result.nodes()[p]) >= ROUND_UP_PART && limits.allows(shape)
          && PatternPacking.takeLeft(pattern, kinds, picks)) {
        nodes.add(filling.commit(shape, items.get(picks.getFirst()[0]), items, picks));
      }
    }
  }

  /** The part of a node the program bought beyond the whole ones. */
  private static double part(double nodes) {
    double part = nodes - Math.floor(nodes + 1e-6);
    return part < 1e-6 ? 0 : part;
  }

  /**
   * Whether a node opened for {@code anchor} takes its zone's own pods first (see {@link NodeFilling#fill}): for a
   * share zone topology pinned to zones that sell none of the shapes the bound buys for its group (us-east-1e sells 58
   * older types). There, pods free to run anywhere would pay the zones' premium; where the bound's shapes are sold,
   * they fill and balance a pinned node at no loss, and keeping them out would only open more, smaller nodes. Where
   * the packing follows the zone-aware program (see {@code Scheduler}), each share's group is sold in its zones and
   * this never holds: it is for packings guided by the plain program, as after a NodePool fallback.
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

  /** The shape sorts this packer's ranking made, for the other packings of the same selection to reuse. */
  ShapeRanking.Orders rankingOrders() {
    return ranking.orders();
  }

  private int[] ranked(PodClass.Item item) {
    return ranking.ranked(item, bound);
  }
}
