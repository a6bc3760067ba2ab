package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bound alone, as the simulator charts it, against the bound a whole plan reports. */
class LowerBoundTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @Test
  void theBoundAloneIsTheBoundAPlanReportsWithEveryKindOfTopology() {
    for (int seed = 1; seed <= 3; seed++) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(600, 20, seed, true), List.of(), CATALOG);

      assertThat(new Scheduler().lowerBound(input)).isEqualTo(new Scheduler().schedule(input).lowerBoundPerHour());
    }
  }

  @Test
  void withAPoolToFallBackToTheBoundIsTheOneThePlanSolvesAgain() {
    // the heavier pool (amd64 only) has a limit that leaves pods to the other, which sells arm64 too: the plan's
    // bound lets those pods use both pools, below what the heavier pool alone costs them
    NodePool base = NodePool.defaultPool();
    List<Requirement> amd64 = new java.util.ArrayList<>(base.requirements());
    amd64.add(Requirement.in(WellKnownLabels.ARCH, "amd64"));
    NodePool limited = new NodePool("limited", amd64, base.labels(), base.taints(),
        base.startupTaints(), Resources.of(16_000, 64L << 30), 50, base.disruption());
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(400, 10, 1, false), List.of(limited, base),
        CATALOG);
    Plan plan = new Scheduler().schedule(input);

    assertThat(plan.poolFallbacks()).isNotEmpty();
    assertThat(new Scheduler().lowerBound(input)).isEqualTo(plan.lowerBoundPerHour());
  }
}
