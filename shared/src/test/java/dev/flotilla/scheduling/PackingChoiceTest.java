package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which packing's plan the scheduler keeps, and what the pattern program buys. */
class PackingChoiceTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @Test
  void largePodsOnSmallCheapNodesRoundWithinFivePercentOfTheBound() {
    // the greedy packings leave this mix 8.3% above the bound (whole 8 CPU / 32 GiB pods round badly onto the small
    // a1 nodes the bound fills fractionally); the pattern program's whole-node patterns do not
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.mixed(5_000, 23), List.of(), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.05 * plan.lowerBoundPerHour());
  }

  @Test
  void manyKindsWithFewPodsEachPlanWithinThreePercentOfTheBound() {
    // 1,000 pods of 100 kinds (about 10 a kind) were 4.7% above the bound before the CPU- and memory-heavy-first
    // packings; 2,000 of 200 took seconds with the dense per-class program
    for (int[] cell : new int[][] {{1_000, 100, 3}, {2_000, 200, 1}}) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(cell[0], cell[1], cell[2]), List.of(),
          CATALOG);

      Plan plan = new Scheduler().schedule(input);

      PlanInvariants.check(input, plan);
      assertThat(plan.unschedulable()).isEmpty();
      assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.03 * plan.lowerBoundPerHour());
    }
  }

  @Test
  void aPlanOfTooManyKindsForThePatternProgramIsImprovedByItFromThePlansNodes() {
    // 60 kinds are too many for the program's own first patterns: the greedy packings' plan is 1.9% above the bound;
    // the program started from that plan's nodes finds one 1.1% above it
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(5_700, 60, 1), List.of(), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.015 * plan.lowerBoundPerHour());
  }

  @Test
  void shardsThatTakeANodeEachHaveTheirNodesFilledByTheServicesBesideThem() {
    // 300 shards set the node count; the greedy packings put the small services on large nodes first and opened 161 to
    // 225 shards alone on nodes 40% idle, 12.0% to 15.2% above the bound; filling the shards' nodes from every pod
    // left, greedily, 4.2% to 4.9%; with the most valuable set of pods there, 2.6% to 4.0%
    for (long seed = 1; seed <= 3; seed++) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.shardedStore(300, 60, seed), List.of(),
          CATALOG);

      Plan plan = new Scheduler().schedule(input);

      PlanInvariants.check(input, plan);
      assertThat(plan.unschedulable()).isEmpty();
      assertThat(plan.nodeClaims()).noneMatch(c -> c.pods().size() == 1
          && c.pods().getFirst().startsWith("store/"));
      assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.045 * plan.lowerBoundPerHour());
    }
  }

  @Test
  void consolidationsChoiceTakesFewerNodesWhereTheCheapestPlanHasMore() {
    // fifty pods whose cheapest plan is seven small nodes; another packing holds them on two, for a little more
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.mixed(50, 3), List.of(), CATALOG);

    Plan cheapest = new Scheduler().schedule(input);
    Plan fewest = new Scheduler(Scheduler.Choice.FEWEST_NODES).schedule(input);

    PlanInvariants.check(input, cheapest);
    PlanInvariants.check(input, fewest);
    assertThat(fewest.nodeClaims().size()).isLessThan(cheapest.nodeClaims().size());
    assertThat(cheapest.totalPricePerHour()).isLessThan(fewest.totalPricePerHour());
    assertThat(fewest.unschedulable()).isEqualTo(cheapest.unschedulable()).isEmpty();
  }
}
