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
   * first strategy wins ties, so the result is deterministic.
   */
  List<NodeClaim> best(Packer first, List<BitSet> groupShapes, Topology topology,
      List<PodClass.Item> items, FractionalBound.Result bound) {
    int[] remaining = new int[items.size()];
    int[] nextName = new int[items.size()];
    for (int i = 0; i < items.size(); i++) {
      remaining[i] = items.get(i).remaining;
      nextName[i] = items.get(i).nextName;
    }
    Map<String, Resources> usage = limits.usage();
    List<NodeClaim> best = null;
    double bestTotal = Double.MAX_VALUE;
    int bestLeft = Integer.MAX_VALUE;
    int[] bestUnplaced = new int[items.size()];
    int[] bestNextName = new int[items.size()];
    Map<String, Resources> bestUsage = usage;
    // claims() reports pods it cannot give a claim (minValues): only the kept packing's reports stay
    int reported = unschedulable.size();
    List<Unschedulable> bestReports = List.of();
    // the pattern program only where its kinds are few; elsewhere it would repeat the greedy packing
    List<List<PodClass.Item>> kinds = PatternPacking.kinds(items, false);
    boolean programRuns = kinds != null && !kinds.isEmpty();
    boolean cappedProgramRuns = PatternPacking.anyCapped(PatternPacking.kinds(items, true));
    boolean manyClasses = items.stream().map(i -> i.podClass).distinct().count() > Packer.MORE_PACKINGS_CLASSES;
    for (Packer.Strategy strategy : Packer.Strategy.values()) {
      boolean runs = strategy == Packer.Strategy.PATTERN_PROGRAM_WITH_CAPPED_KINDS_THEN_GREEDY ? cappedProgramRuns
          : !strategy.patternProgram || programRuns;
      if (!runs || strategy.fewClassesOnly && manyClasses) {
        continue;
      }
      unschedulable.subList(reported, unschedulable.size()).clear();
      Packer packer = first;
      if (strategy.ordinal() > 0) {
        for (int i = 0; i < items.size(); i++) {
          items.get(i).restart(remaining[i], nextName[i]);
        }
        limits.restore(usage);
        packer = new Packer(shapes, groupShapes, topology.groups.size(), dims.size(), limits,
            first.rankingOrders());
        packer.prepare(items.stream().filter(i -> i.remaining > 0).toList());
      }
      List<NodeClaim> claims = claimBuilder.claims(packer.pack(items, bound, strategy), unschedulable);
      double total = claims.stream().mapToDouble(NodeClaim::pricePerHour).sum();
      // a packing that leaves pods out is never the cheaper one
      int left = unschedulable.size() - reported;
      for (PodClass.Item item : items) {
        left += item.unplaced;
      }
      boolean fewer = choice == Scheduler.Choice.FEWEST_NODES && best != null && claims.size() != best.size();
      if (left < bestLeft || (left == bestLeft && (fewer ? claims.size() < best.size()
          : total < bestTotal - 1e-9))) {
        bestLeft = left;
        best = claims;
        bestTotal = total;
        for (int i = 0; i < items.size(); i++) {
          bestUnplaced[i] = items.get(i).unplaced;
          bestNextName[i] = items.get(i).nextName;
        }
        bestUsage = limits.usage();
        bestReports = new ArrayList<>(unschedulable.subList(reported, unschedulable.size()));
      }
    }
    unschedulable.subList(reported, unschedulable.size()).clear();
    unschedulable.addAll(bestReports);
    for (int i = 0; i < items.size(); i++) {
      items.get(i).unplaced = bestUnplaced[i];
      items.get(i).nextName = bestNextName[i];
    }
    limits.restore(bestUsage);
    return best;
  }
}
