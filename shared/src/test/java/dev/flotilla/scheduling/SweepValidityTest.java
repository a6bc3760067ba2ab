package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.PendingPod;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bench's mixes with topology, on the bundled catalog (six zones, us-east-1e selling few types), checked by the
 * independent {@link PlanInvariants}: the property tests' catalog has three zones that sell alike, and the bench
 * measures these plans' cost only. Sizes on both sides of the pattern program's kind limits.
 */
class SweepValidityTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @ParameterizedTest(name = "{0} pods of {1} kinds, seed {2}")
  @CsvSource({"1000, 20, 1", "1000, 33, 2", "2000, 50, 1", "2000, 100, 2", "3000, 200, 1", "5000, 50, 3",
      // 142 of the program's kinds, about 70 pods each: the program from the kept plan runs there, and its plan is kept
      "10000, 100, 3"})
  void everyPlanOfTheTopologySweepKeepsEveryConstraint(int pods, int kinds, long seed) {
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(pods, kinds, seed, true), List.of(),
        CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    // the checker passes a pod reported unschedulable; every pod of these mixes has a place
    assertThat(plan.unschedulable()).isEmpty();
  }

  @Test
  void aMixWithTopologyTakesOneDeploymentOfEachKindOfTopologyAtLeast() {
    List<PendingPod> four = SyntheticWorkloads.kinds(100, 4, 1, true);

    assertThat(four).hasSize(100);
    assertThat(four.stream().map(p -> p.labels().get("app")).distinct()).hasSize(4);
    assertThatThrownBy(() -> SyntheticWorkloads.kinds(100, 3, 1, true))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kinds: at least 4");
  }
}
