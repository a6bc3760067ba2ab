package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.Operator;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A capacity-type spread is kept with what each zone's pool sells there, and counts the pods already running. */
class CapacitySpreadTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private static final Map<String, String> LABELS = Map.of("app", "api");

  private static PendingPod api(String name, boolean zoneSpread) {
    List<TopologySpread> spreads = new ArrayList<>();
    spreads.add(new TopologySpread(WellKnownLabels.CAPACITY_TYPE, 1, true, LabelSelector.of(LABELS)));
    if (zoneSpread) {
      spreads.add(new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(LABELS)));
    }
    return PendingPod.builder("web/" + name).labels(LABELS).ownerKind("ReplicaSet")
        .requests(Resources.of(1000, 1L << 30)).spreads(spreads).build();
  }

  /** Spot and on-demand, current generations only: nothing in us-east-1e, which sells c4, m4, r4 and t2 alone. */
  private static final NodePool BOTH = new NodePool("both", List.of(
      new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("spot", "on-demand")),
      new Requirement(WellKnownLabels.INSTANCE_GENERATION, Operator.Gt, List.of("5"))),
      Map.of(), List.of(), List.of(), Resources.NONE, 10, null);
  /** On-demand amd64 of any generation: the only pool that sells us-east-1e. */
  private static final NodePool ON_DEMAND = new NodePool("ondemand", List.of(
      Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"), Requirement.in(WellKnownLabels.ARCH, "amd64")),
      Map.of(), List.of(), List.of(), Resources.NONE, 1, null);

  @Test
  void aZoneWhosePoolSellsOnDemandAloneTakesOnDemandSharesAndTheOtherZonesBalanceThem() {
    // the zone spread sends a sixth of the pods to us-east-1e, where only the on-demand pool sells; pinned to spot
    // there, as the least-used type, those pods had no shape at all and were left out, and in a cluster a node was
    // launched for them every minute and deleted empty
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      pods.add(api("api-" + i, true));
    }
    SchedulingInput input = new SchedulingInput(pods, List.of(BOTH, ON_DEMAND), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).filteredOn(c -> c.zone().equals("us-east-1e")).isNotEmpty()
        .allSatisfy(c -> {
          assertThat(c.capacityType()).isEqualTo(CapacityType.ON_DEMAND);
          assertThat(c.nodePool()).isEqualTo("ondemand");
        });
    Map<CapacityType, Integer> perType = new java.util.EnumMap<>(CapacityType.class);
    plan.nodeClaims().forEach(c -> perType.merge(c.capacityType(), c.pods().size(), Integer::sum));
    assertThat(perType).containsEntry(CapacityType.SPOT, 12).containsEntry(CapacityType.ON_DEMAND, 12);
  }

  @Test
  void pendingPodsGoToTheCapacityTypeTheRunningPodsLeaveShort() {
    // a spot reclaim took four of the spread's pods: six run on on-demand nodes and two on spot. kube-scheduler
    // refuses the replacements on on-demand (7 against 2 is a skew of 5), so all four go to spot; balanced among the
    // pending pods alone, two were planned on on-demand and waited for a launch every minute
    List<PlacedPod> running = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      running.add(new PlacedPod(api("running-" + i, false), "us-east-1a", i < 6 ? "on-demand" : "spot"));
    }
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      pods.add(api("api-" + i, false));
    }

    Plan plan = new Scheduler().schedule(new SchedulingInput(pods, List.of(BOTH), CATALOG, List.of(), Map.of(),
        List.of(), RunningPods.of(running)));

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty()
        .allSatisfy(c -> assertThat(c.capacityType()).isEqualTo(CapacityType.SPOT));
  }

  @Test
  void minDomainsAboveTheTypesSoldHoldsEachTypeToMaxSkew() {
    // both capacity types sold, minDomains 3: kube-scheduler weighs each type against zero, so each takes two pods
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      pods.add(api("api-" + i, false).toBuilder().spreads(List.of(new TopologySpread(WellKnownLabels.CAPACITY_TYPE, 2,
          true, LabelSelector.of(LABELS), 3))).build());
    }
    SchedulingInput input = new SchedulingInput(pods, List.of(BOTH), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.placedPods()).isEqualTo(4);
    assertThat(plan.unschedulable()).hasSize(4);
  }
}
