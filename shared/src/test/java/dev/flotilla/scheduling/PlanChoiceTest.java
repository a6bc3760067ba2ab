package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanChoiceTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

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
