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
