package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The fractional bound with topology: hostname rules as per-node slots, zone pins as the shapes a pod may use. */
class TopologyBoundTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  @Test
  void podsThatKeepAwayFromEachOtherAreBoundedByANodeEach() {
    // 40 small pods with hostname anti-affinity need 40 nodes; a bound blind to the rule prices them on one
    List<PendingPod> pods = replicas("keep-apart", 40, b -> b.antiAffinity(List.of(
        new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "keep-apart")), List.of()))));
    SchedulingInput input = new SchedulingInput(pods, List.of(), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.nodeClaims()).hasSize(40);
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.03 * plan.lowerBoundPerHour());
  }

  @Test
  void hostnameSpreadBoundsANodePerMaxSkewPods() {
    List<PendingPod> pods = replicas("spread", 40, b -> b.spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME,
        2, true, LabelSelector.of(Map.of("app", "spread"))))));
    SchedulingInput input = new SchedulingInput(pods, List.of(), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.nodeClaims()).hasSize(20);
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.03 * plan.lowerBoundPerHour());
  }

  @Test
  void mixesOfKindsWithTopologyKeepEveryConstraintAndTheBoundBelowThePlan() {
    for (int[] cell : new int[][] {{1_000, 10, 1}, {1_000, 50, 2}, {2_000, 200, 1}}) {
      SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(cell[0], cell[1], cell[2], true),
          List.of(), CATALOG);

      Plan plan = new Scheduler().schedule(input);

      PlanInvariants.check(input, plan);
      assertThat(plan.unschedulable()).isEmpty();
      assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour());
    }
  }

  @Test
  void aMixOfKindsWithTopologyPlansWithinThreePercentOfTheBound() {
    // 5,000 pods of 10 kinds with zone spread, hostname spread, zone affinity, anti-affinity and arch selectors were
    // 3.4% above a bound that priced zone-pinned pods on shapes their zone does not offer and ignored hostname rules
    SchedulingInput input = new SchedulingInput(SyntheticWorkloads.kinds(5_000, 10, 1, true), List.of(), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.totalPricePerHour()).isBetween(plan.lowerBoundPerHour(), 1.03 * plan.lowerBoundPerHour());
  }

  private static List<PendingPod> replicas(String app, int n,
      java.util.function.UnaryOperator<PendingPod.Builder> rule) {
    PendingPod template = rule.apply(PendingPod.builder("default/" + app + "-0").labels(Map.of("app", app))
        .ownerKind("ReplicaSet").requests(Resources.of(100, 128L << 20))).build();
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(template.withName("default/" + app + "-" + i));
    }
    return pods;
  }
}
