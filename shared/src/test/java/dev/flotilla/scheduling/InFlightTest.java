package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InFlightTest {

  private static final long GIB = 1L << 30;
  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());

  private static List<PendingPod> pods(String prefix, int n, long cpu, long mem) {
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(PendingPod.builder("shop/" + prefix + "-" + i).labels(Map.of("app", prefix))
          .requests(Resources.of(cpu, mem)).build());
    }
    return pods;
  }

  private static Plan plan(List<PendingPod> pending, List<InFlightNode> inFlight) {
    SchedulingInput input = new SchedulingInput(pending, List.of(), CATALOG, List.of(), Map.of(), inFlight);
    Plan plan = new Scheduler().schedule(input);
    PlanInvariants.check(input, plan);
    return plan;
  }

  @Test
  void podsThatFitAnInFlightNodeGoThereAndNoNodeIsAdded() {
    // m7i.2xlarge: 8 vCPU, 32 GiB; one 2-CPU pod already on it
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.2xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        pods("old", 1, 2000, 4 * GIB));

    Plan plan = plan(pods("web", 5, 1000, 2 * GIB), List.of(node));

    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> {
      assertThat(p.claimId()).isEqualTo("claim-1");
      assertThat(p.pods()).hasSize(5);
    });
  }

  @Test
  void zoneAffinityToAPodOnItsWayIsPlannedNotReported() {
    // the database is reserved on a node still booting, so it is neither pending nor running: the api pods that
    // follow it have a partner all the same
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.large", "us-east-1a", CapacityType.ON_DEMAND,
        pods("db", 1, 1000, 4 * GIB));
    List<PendingPod> api = pods("api", 3, 1000, 2 * GIB).stream().map(p -> p.toBuilder().affinity(List.of(
        new PodAffinityTerm(WellKnownLabels.ZONE, LabelSelector.of(Map.of("app", "db")), List.of()))).build())
        .toList();

    Plan plan = plan(api, List.of(node));

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.placedPods()).isEqualTo(3);
  }

  @Test
  void whatDoesNotFitTheSpareRoomGetsNewNodes() {
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.large", "us-east-1a", CapacityType.ON_DEMAND,
        List.of());

    Plan plan = plan(pods("web", 10, 1000, 2 * GIB), List.of(node));

    assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> assertThat(p.pods()).hasSize(1));
    assertThat(plan.nodeClaims()).isNotEmpty();
    assertThat(plan.placedPods()).isEqualTo(10);
  }

  @Test
  void antiAffinityWithAPodAlreadyThereKeepsNewPodsAway() {
    PendingPod existing = PendingPod.builder("shop/cache-0").labels(Map.of("app", "cache"))
        .requests(Resources.of(500, GIB))
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "cache")),
            List.of()))).build();
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.4xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        List.of(existing));
    List<PendingPod> caches = pods("cache", 2, 500, GIB);

    Plan plan = plan(caches, List.of(node));

    // the pod already there repels them; they do not repel each other
    assertThat(plan.inFlightPlacements()).isEmpty();
    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> assertThat(c.pods()).hasSize(2));
  }

  @Test
  void anInFlightNodeOfAPoolThePodsCannotUseIsLeftAlone() {
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.4xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        List.of());
    List<PendingPod> armOnly = new ArrayList<>();
    for (PendingPod p : pods("arm", 3, 500, GIB)) {
      armOnly.add(p.toBuilder().nodeSelector(Map.of(WellKnownLabels.ARCH, "arm64")).build());
    }
    Plan plan = plan(armOnly, List.of(node));
    assertThat(plan.inFlightPlacements()).isEmpty();
    assertThat(plan.placedPods()).isEqualTo(3);
  }

  private static NodePool pool(String name, int weight, Resources limits, Requirement... requirements) {
    return new NodePool(name, List.of(requirements), Map.of(), List.of(), List.of(), limits, weight, null);
  }

  private static Plan plan(List<PendingPod> pending, List<NodePool> pools, Map<String, Resources> poolUsage,
      List<InFlightNode> inFlight) {
    SchedulingInput input = new SchedulingInput(pending, pools, CATALOG, List.of(), poolUsage, inFlight);
    Plan plan = new Scheduler().schedule(input);
    PlanInvariants.check(input, plan);
    return plan;
  }

  @Test
  void anInFlightNodeOfALighterPoolTakesPodsBeforeAnyNewNode() {
    // the pods' heaviest pool has room, but a node already bought comes first, whatever its pool (as Karpenter's
    // scheduler tries existing and in-flight nodes before any NodePool template)
    NodePool preferred = pool("preferred", 50, Resources.NONE);
    NodePool spare = pool("spare", 5, Resources.NONE);
    InFlightNode node = new InFlightNode("claim-1", "spare", "m7i.2xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        List.of());

    Plan plan = plan(pods("web", 5, 1000, 2 * GIB), List.of(preferred, spare), Map.of(), List.of(node));

    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> assertThat(p.pods()).hasSize(5));
  }

  @Test
  void podsWhoseHeaviestPoolIsAtItsLimitFillTheFallbackPoolsInFlightNodesBeforeLaunching() {
    // a spot storm's replacements went to the fallback pool while the preferred one was at its limit; the evicted
    // pods, back under new names, must land on those replacements rather than on yet more fallback nodes
    NodePool preferred = pool("preferred", 50, Resources.of(Resources.CPU, 16_000),
        Requirement.in(WellKnownLabels.ARCH, "arm64"));
    NodePool fallback = pool("fallback", 5, Resources.NONE);
    List<InFlightNode> replacements = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      replacements.add(new InFlightNode("replacement-" + i, "fallback", "m6g.large", "us-east-1" + "abcd".charAt(i),
          CapacityType.ON_DEMAND, List.of()));
    }

    Plan plan = plan(pods("front", 8, 700, (long) (1.5 * GIB)), List.of(preferred, fallback),
        Map.of("preferred", Resources.of(Resources.CPU, 16_000)), replacements);

    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.inFlightPlacements()).hasSize(4).allSatisfy(p -> assertThat(p.pods()).hasSize(2));
  }

  @Test
  void anInFlightNodeOfAPoolWhoseTaintThePodsDoNotTolerateIsLeftAlone() {
    NodePool general = pool("general", 10, Resources.NONE);
    NodePool gpu = new NodePool("gpu", List.of(), Map.of(),
        List.of(new dev.flotilla.model.Taint("nvidia.com/gpu", "true", "NoSchedule")), List.of(), Resources.NONE, 0,
        null);
    InFlightNode node = new InFlightNode("claim-1", "gpu", "m7i.2xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        List.of());

    Plan plan = plan(pods("web", 3, 500, GIB), List.of(general, gpu), Map.of(), List.of(node));

    assertThat(plan.inFlightPlacements()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("general"));
  }
  private static List<PendingPod> spread(int n, boolean required) {
    Map<String, String> labels = Map.of("app", "api");
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(PendingPod.builder("shop/api-" + i).labels(labels).ownerKind("ReplicaSet")
          .requests(Resources.of(1000, 2 * GIB)).spreads(List.of(new dev.flotilla.model.TopologySpread(
              WellKnownLabels.ZONE, 1, required, LabelSelector.of(labels)))).build());
    }
    return pods;
  }

  @Test
  void podsWhoseZoneSpreadMayBeBrokenTakeRoomInFlightInAnyZoneAndARequiredSpreadKeepsItsZones() {
    // four api pods already run in us-east-1a, one in 1b and one in 1c: the spread's least-used zones are 1b and 1c.
    // With ScheduleAnyway the cluster's scheduler puts the pending pods on the in-flight node in 1a once it is ready,
    // wherever the plan launched for them: a node launched in another zone was deleted empty. With DoNotSchedule it
    // refuses 1a
    InFlightNode node = new InFlightNode("claim-1", "default", "m7i.2xlarge", "us-east-1a", CapacityType.ON_DEMAND,
        List.of());
    List<PlacedPod> running = new ArrayList<>();
    spread(4, false).forEach(p -> running.add(new PlacedPod(p.withName(p.name() + "-running"), "us-east-1a")));
    running.add(new PlacedPod(spread(1, false).getFirst().withName("shop/api-b"), "us-east-1b"));
    running.add(new PlacedPod(spread(1, false).getFirst().withName("shop/api-c"), "us-east-1c"));

    for (boolean required : new boolean[] {false, true}) {
      SchedulingInput input = new SchedulingInput(spread(3, required), List.of(), CATALOG, List.of(), Map.of(),
          List.of(node), RunningPods.of(running));
      Plan plan = new Scheduler().schedule(input);

      // (the plan checker counts a spread over the plan's pods alone, not beside running ones)
      assertThat(plan.unschedulable()).isEmpty();
      if (required) {
        assertThat(plan.inFlightPlacements()).isEmpty();
        assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> assertThat(c.zone()).isNotEqualTo("us-east-1a"));
      } else {
        assertThat(plan.nodeClaims()).isEmpty();
        assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> assertThat(p.pods()).hasSize(3));
      }
    }
  }
}
