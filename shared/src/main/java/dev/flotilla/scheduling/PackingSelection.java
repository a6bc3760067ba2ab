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
   * Packs with each {@link Packer.Strategy} from the same start (in-flight room already filled) and keeps the plan
   * that places the most pods, then (by the {@link Scheduler.Choice}) the one with fewer nodes or the cheaper; the
   * first strategy wins ties, so the result is deterministic. Where the pattern program did not run (too many kinds)
   * and the cheapest plan is over {@link #SEEDED_PROGRAM_ABOVE} times the bound, the program then runs from that
   * plan's nodes.
   */
  List<NodeClaim> best(Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound) {
    Start start = new Start(items);
    // the pattern program from its own patterns only where its kinds are few (elsewhere it would repeat the greedy
    // packing), from the kept plan's nodes up to SEEDED_KINDS
    List<List<PodClass.Item>> kinds = PatternPacking.kinds(items, false, PatternPacking.SEEDED_KINDS);
    boolean anyKinds = kinds != null && !kinds.isEmpty();
    boolean programRuns = anyKinds && kinds.size() <= PatternPacking.KINDS;
    boolean cappedProgramRuns = PatternPacking.anyCapped(PatternPacking.kinds(items, true, PatternPacking.KINDS));
    boolean manyClasses = items.stream().map(i -> i.podClass).distinct().count() > Packer.MORE_PACKINGS_CLASSES;
    Kept kept = new Kept(items.size());
    for (Packer.Strategy strategy : Packer.Strategy.values()) {
      boolean runs = switch (strategy) {
        case PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY -> cappedProgramRuns;
        case PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY -> false;
        default -> !strategy.patternProgram || programRuns;
      };
      if (runs && !(strategy.fewClassesOnly && manyClasses)) {
        pack(strategy, first, groupShapes, topology, items, bound, start, kept, List.of());
      }
    }
    if (anyKinds && !programRuns && choice == Scheduler.Choice.CHEAPEST && kept.left == 0
        && kept.total > SEEDED_PROGRAM_ABOVE * bound.bound()) {
      pack(Packer.Strategy.PATTERN_PROGRAM_FROM_KEPT_PLAN_THEN_GREEDY, first, groupShapes, topology, items, bound,
          start, kept, kept.nodes);
    }
    unschedulable.subList(start.reported, unschedulable.size()).clear();
    unschedulable.addAll(kept.reports);
    for (int i = 0; i < items.size(); i++) {
      items.get(i).unplaced = kept.unplaced[i];
      items.get(i).nextName = kept.nextName[i];
    }
    limits.restore(kept.usage);
    return kept.claims;
  }

  /**
   * Above this share of the bound the program runs from the kept plan's nodes (a few hundred ms at 50 to 70 kinds);
   * closer to the bound, what rounding its patterns to whole nodes loses leaves it nothing to gain.
   */
  static final double SEEDED_PROGRAM_ABOVE = 1.01;

  /** One packing from the start; kept if it places more pods, or as many and is preferred by the choice. */
  private void pack(Packer.Strategy strategy, Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound, Start start, Kept kept, List<OpenNode> seeds) {
    unschedulable.subList(start.reported, unschedulable.size()).clear();
    Packer packer = first;
    if (kept.claims != null) {
      for (int i = 0; i < items.size(); i++) {
        items.get(i).restart(start.remaining[i], start.nextName[i]);
      }
      limits.restore(start.usage);
      packer = new Packer(shapes, groupShapes, topology.groups.size(), dims.size(), limits, first.rankingOrders());
      packer.seedFrom(first);
      packer.prepare(items.stream().filter(i -> i.remaining > 0).toList());
    }
    List<OpenNode> nodes = packer.pack(items, bound, strategy, seeds);
    List<NodeClaim> claims = claimBuilder.claims(nodes, unschedulable);
    double total = claims.stream().mapToDouble(NodeClaim::pricePerHour).sum();
    // a packing that leaves pods out is never the cheaper one
    int left = unschedulable.size() - start.reported;
    for (PodClass.Item item : items) {
      left += item.unplaced;
    }
    boolean fewer = choice == Scheduler.Choice.FEWEST_NODES && kept.claims != null
        && claims.size() != kept.claims.size();
    if (left < kept.left || (left == kept.left && (fewer ? claims.size() < kept.claims.size()
        : total < kept.total - 1e-9))) {
      kept.left = left;
      kept.claims = claims;
      kept.nodes = nodes;
      kept.total = total;
      for (int i = 0; i < items.size(); i++) {
        kept.unplaced[i] = items.get(i).unplaced;
        kept.nextName[i] = items.get(i).nextName;
      }
      kept.usage = limits.usage();
      kept.reports = new ArrayList<>(unschedulable.subList(start.reported, unschedulable.size()));
    }
  }

  /** Where every packing starts: each item's pods left and next name, the pools' usage, the reports so far. */
  private final class Start {
    final int[] remaining;
    final int[] nextName;
    final Map<String, Resources> usage = limits.usage();
    // claims() reports pods it cannot give a claim (minValues): only the kept packing's reports stay
    final int reported = unschedulable.size();

    Start(List<PodClass.Item> items) {
      remaining = new int[items.size()];
      nextName = new int[items.size()];
      for (int i = 0; i < items.size(); i++) {
        remaining[i] = items.get(i).remaining;
        nextName[i] = items.get(i).nextName;
      }
    }
  }

  /** The packing kept so far and what it left behind. */
  private static final class Kept {
    List<NodeClaim> claims;
    List<OpenNode> nodes = List.of();
    double total = Double.MAX_VALUE;
    int left = Integer.MAX_VALUE;
    final int[] unplaced;
    final int[] nextName;
    Map<String, Resources> usage;
    List<Unschedulable> reports = List.of();

    Kept(int items) {
      unplaced = new int[items];
      nextName = new int[items];
    }
  }
}
