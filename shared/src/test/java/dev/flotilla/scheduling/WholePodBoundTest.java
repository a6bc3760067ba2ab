package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class WholePodBoundTest {

  private static final OfferingCatalog US_EAST_1 = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @Test
  void keepsEachPodWholeWhereTheFractionalBoundSplitsIt() {
    // Chvátal, Linear Programming, ch. 13: rolls 100 wide; 97 of width 45, 610 of 36, 395 of 31, 211 of 14. Split
    // pods fill every roll: 41,524 / 100 = 415.24 rolls. Whole, the pattern program's optimum is 452.25, and with the
    // roll's best pattern found exactly at its prices, no pattern is worth more than its roll: the bound is that optimum
    NodeShape roll = shape(new long[] {100, 1, 1000}, 1.0);
    long[] widths = {45, 36, 31, 14};
    int[] demand = {97, 610, 395, 211};
    double split = 0;
    for (int i = 0; i < widths.length; i++) {
      split += widths[i] * demand[i] / 100.0;
    }

    WholePodBound.Result bound = WholePodBound.solve(List.of(roll), kinds(widths, demand, new int[] {99, 99, 99, 99}));

    assertThat(split).isCloseTo(415.24, within(1e-9));
    assertThat(bound.bound()).isCloseTo(452.25, within(1e-6));
    assertThat(bound.rho()).isCloseTo(1.0, within(1e-9));
    assertThat(bound.programOptimum()).isCloseTo(452.25, within(1e-6));
  }

  @Test
  void holdsPodsThatRepelTheirOwnKindToOneANode() {
    // 10 pods of width 20 that repel each other: one a roll, 10 rolls; split, two rolls would hold them
    NodeShape roll = shape(new long[] {100, 1, 1000}, 1.0);

    WholePodBound.Result bound = WholePodBound.solve(List.of(roll), kinds(new long[] {20}, new int[] {10},
        new int[] {1}));

    assertThat(bound.bound()).isCloseTo(10.0, within(1e-6));
  }

  @Test
  void anyPricesGiveABoundOnceThePatternWorthMostOverItsRollDividesThem() {
    // every piece priced 1: the most a roll holds is seven 14s, so ρ = 7 and the bound 1,313 pieces / 7 rolls; an
    // underestimated best pattern would give a larger, invalid bound
    NodeShape roll = shape(new long[] {100, 1, 1000}, 1.0);
    PatternProgram.Kinds kinds = kinds(new long[] {45, 36, 31, 14}, new int[] {97, 610, 395, 211},
        new int[] {99, 99, 99, 99});

    WholePodBound.Check check = WholePodBound.check(List.of(roll), List.of(0), kinds, new double[] {1, 1, 1, 1},
        new java.util.ArrayList<>());

    assertThat(check.rho()).isCloseTo(7.0, within(1e-9));
    assertThat(check.exact()).isEqualTo(1);
    assertThat(1313 / check.rho()).isLessThan(452.25);
  }

  @Property(tries = 200)
  void aShapesBestWholeSetIsFoundExactlyAndBoundedAboveByEveryRelaxation(
      @ForAll @IntRange(min = 1, max = 3) int k, @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
    // against every set of at most three kinds on one node, counted out
    java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
    long[] room = {4 + random.nextInt(40), 4 + random.nextInt(40), 2 + random.nextInt(12)};
    NodeShape node = shape(room, 1.0);
    long[][] requests = new long[k][];
    int[] demand = new int[k];
    int[] perNode = new int[k];
    double[] prices = new double[k];
    for (int i = 0; i < k; i++) {
      requests[i] = new long[] {1 + random.nextInt(12), random.nextInt(12), 1};
      demand[i] = 1 + random.nextInt(8);
      perNode[i] = random.nextBoolean() ? 1 : Integer.MAX_VALUE;
      prices[i] = random.nextInt(5) == 0 ? 0 : random.nextDouble();
    }
    PatternProgram.Kinds kinds = kinds(requests, demand, perNode);
    double best = 0;
    int[] counts = new int[3];
    for (counts[0] = 0; counts[0] <= (k > 0 ? kinds.most(0) : 0); counts[0]++) {
      for (counts[1] = 0; counts[1] <= (k > 1 ? kinds.most(1) : 0); counts[1]++) {
        for (counts[2] = 0; counts[2] <= (k > 2 ? kinds.most(2) : 0); counts[2]++) {
          long[] used = new long[3];
          double worth = 0;
          for (int i = 0; i < k; i++) {
            for (int d = 0; d < 3; d++) {
              used[d] += requests[i][d] * counts[i];
            }
            worth += prices[i] * counts[i];
          }
          if (used[0] <= room[0] && used[1] <= room[1] && used[2] <= room[2]) {
            best = Math.max(best, worth);
          }
        }
      }
    }

    assertThat(WholePodBound.exactWorth(node, kinds, prices)).isCloseTo(best, within(1e-9));
    assertThat(WholePodBound.relaxedWorth(node, kinds, prices)).isGreaterThanOrEqualTo(best - 1e-9);
    assertThat(PatternProgram.upperWorth(node, kinds, prices)).isGreaterThanOrEqualTo(best - 1e-9);
    PatternSearch search = WholePodBound.bestSet(node, kinds, prices, WholePodBound.EXACT_BUDGET);
    assertThat(search.exhausted()).isFalse();
    assertThat(search.bestValue).isCloseTo(best, within(1e-9));
  }

  @Property(tries = 8)
  void neverExceedsAPlanOfWholePods(@ForAll @IntRange(min = 2, max = 40) int shards,
      @ForAll @IntRange(min = 1, max = 12) int kinds, @ForAll @IntRange(min = 1, max = 1_000) int seed) {
    // any plan is whole pods on whole nodes: the scheduler's own may cost more than the bound, never less
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.shardedStore(shards, kinds, seed), List.of(),
        US_EAST_1);
    Plan plan = new Scheduler().schedule(input);
    double bound = new Scheduler().wholePodBound(input);
    WholePodBound.Result started = new Scheduler().wholePodBoundResult(input, plan.nodeClaims());

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(bound).isPositive().isLessThanOrEqualTo(plan.totalPricePerHour() * (1 + 1e-6));
    assertThat(started.bound()).isPositive().isLessThanOrEqualTo(plan.totalPricePerHour() * (1 + 1e-6));
    // started from the plan's nodes, every pattern of the plan is in the program: its optimum is no dearer
    assertThat(started.programOptimum()).isLessThanOrEqualTo(plan.totalPricePerHour() * (1 + 1e-6));
  }

  private static NodeShape shape(long[] room, double price) {
    InstanceType type = SyntheticWorkloads.karpenterCatalog(1).instanceTypes().getFirst();
    return new NodeShape(0, NodePool.defaultPool(), 0, type, CapacityType.ON_DEMAND, Map.of(), room, Resources.NONE,
        new double[] {price});
  }

  private static PatternProgram.Kinds kinds(long[] widths, int[] demand, int[] perNode) {
    long[][] requests = new long[widths.length][];
    for (int i = 0; i < widths.length; i++) {
      requests[i] = new long[] {widths[i], 0, 1};
    }
    return kinds(requests, demand, perNode);
  }

  private static PatternProgram.Kinds kinds(long[][] requests, int[] demand, int[] perNode) {
    return PatternProgramTest.kinds(requests, demand, perNode, 1);
  }
}
