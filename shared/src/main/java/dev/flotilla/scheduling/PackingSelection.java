package dev.flotilla.scheduling;

import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Runs each packing strategy from the same start and keeps one plan: the one that places the most pods, then the
 * cheapest (or, for consolidation, the one with the fewest nodes). Changes when which packings run, or how one is
 * preferred, changes.
 */
final class PackingSelection {
  private final List<NodeShape> shapes;
  private final Dims dims;
  private final PoolLimits limits;
  private final ClaimBuilder claimBuilder;
  private final Scheduler.Choice choice;
  private final List<Unschedulable> unschedulable;

  /** @param unschedulable where the kept packing's reports go (pods it could not give a claim) */
  PackingSelection(List<NodeShape> shapes, Dims dims, PoolLimits limits, ClaimBuilder claimBuilder,
      Scheduler.Choice choice, List<Unschedulable> unschedulable) {
    this.shapes = shapes;
    this.dims = dims;
    this.limits = limits;
    this.claimBuilder = claimBuilder;
    this.choice = choice;
    this.unschedulable = unschedulable;
  }

  /**
   * Packs with each {@link PackingStrategy} from the same start (in-flight room already filled) and keeps the plan
   * that places the most pods, then (by the {@link Scheduler.Choice}) the one with fewer nodes or the cheaper; the
   * first strategy wins ties, so the result is deterministic. Two packings run after the others, on the same
   * terms: where the pattern program's optimum rounded down left the greedy fill half its pods or more, that optimum
   * rounded up ({@link PackingStrategy#PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY}); and where the pattern program did
   * not run (too many kinds) and the cheapest plan is over {@link #SEEDED_PROGRAM_ABOVE} times the bound, the
   * program from that plan's nodes, where its kinds are few enough or have pods enough ({@link
   * PatternPacking#seededRuns}).
   *
   * <p>The packings are independent: the first runs on {@code first} and the items themselves, each other on copies
   * of the items with limits and a packer of its own, so that on a machine of more than one core they run side by
   * side (see {@link Lanes}). Which wins is decided afterwards in strategy order: the plan is the same however many
   * cores ran them.
   */
  List<NodeClaim> best(Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound) {
    Start start = new Start(items);
    // the pattern program from its own patterns only where its kinds are few (elsewhere it would repeat the greedy
    // packing), from the kept plan's nodes where PatternPacking.seededRuns
    List<List<PodClass.Item>> kinds = PatternPacking.kinds(items, false, PatternPacking.SEEDED_KINDS_MANY_PODS);
    boolean programRuns = kinds != null && !kinds.isEmpty() && kinds.size() <= PatternPacking.KINDS;
    // before any packing: the first takes the items' pods
    boolean seededMayRun = !programRuns && PatternPacking.seededRuns(kinds);
    boolean cappedProgramRuns = PatternPacking.anyCapped(PatternPacking.kinds(items, true, PatternPacking.KINDS));
    boolean manyClasses = items.stream().map(i -> i.podClass).distinct().count()
        > PackingStrategy.MORE_PACKINGS_CLASSES;
    List<PackingStrategy> strategies = new ArrayList<>();
    for (PackingStrategy strategy : PackingStrategy.values()) {
      boolean runs = switch (strategy) {
        case PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY -> cappedProgramRuns;
        case PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY, PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY -> false;
        case BOUND_FILLING_CAPPED_NODES_THEN_GREEDY_BY_WORTH -> BoundFollowing.capsSetNodeCount(bound, items);
        case GREEDY_CAPPED_NODES_FIRST -> CappedNodes.setNodeCount(items, bound);
        default -> !strategy.patternProgram || programRuns;
      };
      if (runs && !(strategy.fewClassesOnly && manyClasses)) {
        strategies.add(strategy);
      }
    }
    ShapeRanking.Orders firstOrders = first.rankingOrders();
    Packing[] packings = new Packing[strategies.size()];
    Lanes.run(packings.length, start.pods >= Lanes.PODS, (i, lane) -> packings[i] = i == 0
        ? pack(strategies.get(0), first, items, bound, start, limits, claimBuilder, List.of())
        : packAlone(strategies.get(i), first, groupShapes, topology, items, bound, start,
            lane == 0 ? firstOrders : null, List.of()));
    Packing kept = null;
    for (Packing packing : packings) {
      if (kept == null || packing.betterThan(kept, choice)) {
        kept = packing;
      }
    }
    // a few pods, whose program optimum rounded down left the greedy fill half of them or more: rounded up too
    int program = strategies.indexOf(PackingStrategy.PATTERN_PROGRAM_THEN_GREEDY);
    if (program >= 0 && packings[program].roundable != null) {
      Packing roundedUp = packAlone(PackingStrategy.PATTERN_PROGRAM_ROUNDED_UP_THEN_GREEDY, first, groupShapes,
          topology, items, bound, start, firstOrders, List.of(), packings[program].roundable);
      if (roundedUp.betterThan(kept, choice)) {
        kept = roundedUp;
      }
    }
    if (seededMayRun && choice == Scheduler.Choice.CHEAPEST && kept.left == 0
        && kept.total > SEEDED_PROGRAM_ABOVE * bound.bound()) {
      Packing seeded = packAlone(PackingStrategy.PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY, first, groupShapes,
          topology, items, bound, start, firstOrders, kept.nodes);
      if (seeded.betterThan(kept, choice)) {
        kept = seeded;
      }
    }
    unschedulable.addAll(kept.reports);
    for (int i = 0; i < items.size(); i++) {
      items.get(i).unplaced = kept.unplaced[i];
      items.get(i).nextName = kept.nextName[i];
      items.get(i).noAffineNode = kept.noAffineNode[i];
    }
    limits.restore(kept.usage);
    return kept.claims;
  }

  /**
   * Above this share of the bound the program runs from the kept plan's nodes (a few hundred ms at 50 to 70 kinds);
   * closer to the bound, what rounding its patterns to whole nodes loses leaves it nothing to gain.
   */
  static final double SEEDED_PROGRAM_ABOVE = 1.01;

  /**
   * One packing on copies of the items, with limits, claims and a packer of its own, seeded as {@code first} is;
   * {@code orders} are the shape sorts to reuse (null: sorted afresh, as another lane's are in use).
   */
  private Packing packAlone(PackingStrategy strategy, Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound, Start start, ShapeRanking.Orders orders,
      List<OpenNode> seeds) {
    return packAlone(strategy, first, groupShapes, topology, items, bound, start, orders, seeds, null);
  }

  /** As above, {@code roundable} the optimum a packing that rounds up is given (null for any other). */
  private Packing packAlone(PackingStrategy strategy, Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound, Start start, ShapeRanking.Orders orders,
      List<OpenNode> seeds, PatternProgram.Result roundable) {
    List<PodClass.Item> copies = new ArrayList<>(items.size());
    for (int i = 0; i < items.size(); i++) {
      copies.add(items.get(i).copyAt(start.remaining[i], start.nextName[i]));
    }
    PoolLimits own = new PoolLimits(start.usage);
    Packer packer = new Packer(shapes, groupShapes, topology.groups.size(), dims.size(), own,
        orders != null ? orders : new ShapeRanking.Orders());
    packer.seedFrom(first);
    packer.prepare(copies.stream().filter(i -> i.remaining > 0).toList());
    packer.roundUp(roundable);
    return pack(strategy, packer, copies, bound, start, own, claimBuilder.with(own), seeds);
  }

  /** One packing from the start, with what it leaves behind. */
  private static Packing pack(PackingStrategy strategy, Packer packer, List<PodClass.Item> items,
      FractionalBound.Result bound, Start start, PoolLimits limits, ClaimBuilder claims, List<OpenNode> seeds) {
    List<Unschedulable> reports = new ArrayList<>();
    List<OpenNode> nodes = packer.pack(items, bound, strategy, seeds);
    Packing packing = new Packing(items.size());
    packing.roundable = packer.roundable();
    packing.claims = claims.claims(nodes, reports);
    packing.nodes = nodes;
    packing.total = packing.claims.stream().mapToDouble(NodeClaim::pricePerHour).sum();
    packing.left = reports.size();
    for (int i = 0; i < items.size(); i++) {
      PodClass.Item item = items.get(i);
      packing.left += item.unplaced;
      packing.unplaced[i] = item.unplaced;
      packing.nextName[i] = item.nextName;
      packing.noAffineNode[i] = item.noAffineNode;
    }
    packing.usage = limits.usage();
    packing.reports = reports;
    return packing;
  }

  /** Where every packing starts: each item's pods left and next name, the pools' usage. */
  private final class Start {
    final int[] remaining;
    final int[] nextName;
    final Map<String, Resources> usage = limits.usage();
    final int pods;

    Start(List<PodClass.Item> items) {
      remaining = new int[items.size()];
      nextName = new int[items.size()];
      int pods = 0;
      for (int i = 0; i < items.size(); i++) {
        remaining[i] = items.get(i).remaining;
        nextName[i] = items.get(i).nextName;
        pods += remaining[i];
      }
      this.pods = pods;
    }
  }

  /** A packing's plan and what it left behind. */
  private static final class Packing {
    List<NodeClaim> claims;
    List<OpenNode> nodes;
    double total;
    /** Pods it left out: claims could not honour minValues, or no node could be opened. */
    int left;
    final int[] unplaced;
    final int[] nextName;
    final boolean[] noAffineNode;
    Map<String, Resources> usage;
    List<Unschedulable> reports;
    /** The pattern program's optimum, where this packing rounded it down and left half its pods or more (else null). */
    PatternProgram.Result roundable;

    Packing(int items) {
      unplaced = new int[items];
      nextName = new int[items];
      noAffineNode = new boolean[items];
    }

    /**
     * Whether it is kept over {@code kept}: it places more pods, or as many and is preferred by the choice; a packing
     * that leaves pods out is never the cheaper one.
     */
    boolean betterThan(Packing kept, Scheduler.Choice choice) {
      boolean fewer = choice == Scheduler.Choice.FEWEST_NODES && claims.size() != kept.claims.size();
      return left < kept.left || (left == kept.left && (fewer ? claims.size() < kept.claims.size()
          : total < kept.total - 1e-9));
    }
  }
}
