package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.LabelSelector;
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

/** A zone spread counts the pods already running, over the zones that have nodes, as kube-scheduler does. */
class RunningZoneSpreadTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));

  private static PendingPod web(String name) {
    Map<String, String> labels = Map.of("app", "web");
    return PendingPod.builder("default/" + name).labels(labels).ownerKind("ReplicaSet")
        .requests(Resources.of(500, 1L << 30))
        .spreads(List.of(new TopologySpread("topology.kubernetes.io/zone", 1, true, LabelSelector.of(labels))))
        .build();
  }

  @Test
  void aPendingPodIsPlannedIntoTheZoneItsRunningSiblingsLeaveShort() {
    List<PlacedPod> running = new ArrayList<>();
    for (String zone : List.of("us-east-1a", "us-east-1b", "us-east-1c")) {
      int count = zone.equals("us-east-1b") ? 3 : 4;
      for (int i = 0; i < count; i++) {
        running.add(new PlacedPod(web(zone + "-" + i), zone));
      }
    }
    Plan plan = new Scheduler().schedule(new SchedulingInput(List.of(web("new-0")), List.of(NodePool.defaultPool()),
        CATALOG, List.of(), Map.of(), List.of(), RunningPods.of(running)));

    // a: 4, b: 3, c: 4 over the three zones with nodes; only b keeps the skew within 1 (the other zones the pool
    // allows have no nodes, so they are no domain of the spread)
    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> assertThat(c.zone()).isEqualTo("us-east-1b"));
  }

  @Test
  void withoutRunningPodsTheSpreadStartsFromNothing() {
    Plan plan = new Scheduler().schedule(new SchedulingInput(List.of(web("new-0"), web("new-1"), web("new-2")),
        List.of(NodePool.defaultPool()), CATALOG));
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims().stream().mapToInt(c -> c.pods().size()).sum()).isEqualTo(3);
  }

  private static NodePool pool(String name, int weight, String arch) {
    return new NodePool(name, List.of(Requirement.in(WellKnownLabels.ARCH, arch),
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand")), Map.of(), List.of(), List.of(), Resources.NONE,
        weight, null);
  }

  @Test
  void aZoneOnlyALighterPoolSellsIsADomainAndItsShareGoesToThatPool() {
    // the heavier pool sells no arm64 node in us-east-1e; the lighter one sells amd64 nodes there. As Karpenter counts
    // a spread's domains over every pool the pod may use, the spread covers six zones, and the 1e share falls back
    // to the lighter pool; the other shares keep to the heavier one
    NodePool arm = pool("arm", 50, "arm64");
    NodePool x86 = pool("x86", 5, "amd64");
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      pods.add(web("web-" + i));
    }
    SchedulingInput input = new SchedulingInput(pods, List.of(arm, x86), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    Map<String, Integer> byZone = new java.util.TreeMap<>();
    plan.nodeClaims().forEach(c -> byZone.merge(c.zone(), c.pods().size(), Integer::sum));
    assertThat(byZone).hasSize(6).allSatisfy((zone, count) -> assertThat(count).isEqualTo(2));
    assertThat(plan.nodeClaims()).allSatisfy(c -> assertThat(c.nodePool())
        .isEqualTo(c.zone().equals("us-east-1e") ? "x86" : "arm"));
  }

  @Test
  void aRunningClusterWithANodeInAZoneTheHeaviestPoolDoesNotSellSendsTheSpreadThere() {
    // a node of the lighter pool runs in us-east-1e (another workload's); kube-scheduler counts that zone as a domain
    // holding none of the spread's pods, so the next pods can only go there. Planning them in the heavier pool's
    // zones left them pending for kube-scheduler, relaunched every pass, for good
    NodePool arm = pool("arm", 50, "arm64");
    NodePool x86 = pool("x86", 5, "amd64");
    List<PlacedPod> running = new ArrayList<>();
    for (String zone : List.of("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1f")) {
      running.add(new PlacedPod(web(zone + "-0"), zone));
    }
    running.add(new PlacedPod(PendingPod.builder("legacy/app-0").labels(Map.of("app", "legacy"))
        .requests(Resources.of(500, 1L << 30)).build(), "us-east-1e"));
    SchedulingInput input = new SchedulingInput(List.of(web("new-0")), List.of(arm, x86), CATALOG, List.of(),
        Map.of(), List.of(), RunningPods.of(running));

    Plan plan = new Scheduler().schedule(input);

    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> {
      assertThat(c.zone()).isEqualTo("us-east-1e");
      assertThat(c.nodePool()).isEqualTo("x86");
    });
  }

  @Test
  void zoneAffinityGathersItsPodsWhereTheHeaviestPoolSells() {
    // the lighter pool's zone is there for what zone rules send to it; pods free to pick a zone keep to the heavier
    // pool's, as Karpenter tries the heavier pool first
    NodePool arm = pool("arm", 50, "arm64");
    NodePool x86 = pool("x86", 5, "amd64");
    Map<String, String> labels = Map.of("app", "cache");
    PendingPod cache = PendingPod.builder("default/cache-0").labels(labels).ownerKind("ReplicaSet")
        .requests(Resources.of(500, 1L << 30))
        .affinity(List.of(new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.ZONE, LabelSelector.of(labels),
            List.of()))).build();
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pods.add(cache.withName("default/cache-" + i));
    }
    SchedulingInput input = new SchedulingInput(pods, List.of(arm, x86), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("arm"));
  }

  private static PendingPod withZoneTerm(String name, boolean anti) {
    Map<String, String> labels = Map.of("app", "session");
    dev.flotilla.model.PodAffinityTerm term = new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(labels), List.of());
    PendingPod.Builder b = PendingPod.builder("default/" + name).labels(labels).ownerKind("ReplicaSet")
        .requests(Resources.of(250, 3L << 30));
    return (anti ? b.antiAffinity(List.of(term)) : b.affinity(List.of(term))).build();
  }

  @Test
  void zoneAffinityGoesWhereThePodsItSelectsRunAlready() {
    // session pods run in us-east-1f; a new one with zone affinity to them can only go there, whichever zone a plan
    // of the new pods alone would pick. Blind to them, the plan put the replacement of a spot-reclaimed session node
    // elsewhere and the pods waited a second round
    List<PlacedPod> running = List.of(new PlacedPod(withZoneTerm("session-0", false), "us-east-1f"),
        new PlacedPod(withZoneTerm("session-1", false), "us-east-1f"));
    for (int pending : new int[] {1, 6}) {
      List<PendingPod> pods = new ArrayList<>();
      for (int i = 0; i < pending; i++) {
        pods.add(withZoneTerm("session-new-" + i, false));
      }
      Plan plan = new Scheduler().schedule(new SchedulingInput(pods, List.of(NodePool.defaultPool()), CATALOG,
          List.of(), Map.of(), List.of(), RunningPods.of(running)));

      assertThat(plan.unschedulable()).isEmpty();
      assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> assertThat(c.zone()).isEqualTo("us-east-1f"));
    }
  }

  @Test
  void zoneAntiAffinityKeepsOutOfTheZonesWherePodsItSelectsRun() {
    List<PlacedPod> running = new ArrayList<>();
    for (String zone : List.of("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d")) {
      running.add(new PlacedPod(withZoneTerm("session-" + zone, true), zone));
    }
    List<PendingPod> pods = List.of(withZoneTerm("session-new-0", true), withZoneTerm("session-new-1", true),
        withZoneTerm("session-new-2", true));

    Plan plan = new Scheduler().schedule(new SchedulingInput(pods, List.of(NodePool.defaultPool()), CATALOG,
        List.of(), Map.of(), List.of(), RunningPods.of(running)));

    // two zones are free of them: two pods go there, one to each, and the third has nowhere to go
    assertThat(plan.nodeClaims()).extracting(NodeClaim::zone).containsExactlyInAnyOrder("us-east-1e", "us-east-1f");
    assertThat(plan.unschedulable()).singleElement()
        .satisfies(u -> assertThat(u.reason()).contains("anti-affinity"));
  }
}
