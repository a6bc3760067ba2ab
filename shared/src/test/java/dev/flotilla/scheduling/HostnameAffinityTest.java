package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Required pod affinity on the hostname: a pod goes only where a pod it selects is (or, selecting its own kind, where
 * the first of them is), as kube-scheduler filters it. A new node holds no such pod, so a plan that opens one for a
 * follower alone is one the cluster never follows.
 */
class HostnameAffinityTest {

  private static final long GIB = 1L << 30;
  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));

  private static List<PendingPod> pods(String app, int n, long cpu, long mem, List<PodAffinityTerm> affinity) {
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(PendingPod.builder("web/" + app + "-" + i).labels(Map.of("app", app)).ownerKind("ReplicaSet")
          .requests(Resources.of(cpu, mem)).affinity(affinity).build());
    }
    return pods;
  }

  private static List<PodAffinityTerm> beside(String app) {
    return List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", app)), List.of()));
  }

  @Test
  void followersGoOnTheNodesOfThePodsTheySelect() {
    List<PendingPod> pending = new ArrayList<>(pods("cache", 6, 500, 6 * GIB, List.of()));
    pending.addAll(pods("logger", 6, 200, GIB / 4, beside("cache")));
    SchedulingInput input = new SchedulingInput(pending, List.of(NodePool.defaultPool()), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).filteredOn(c -> c.pods().stream().anyMatch(p -> p.contains("logger")))
        .isNotEmpty().allSatisfy(c -> assertThat(c.pods()).anyMatch(p -> p.contains("cache")));
  }

  @Test
  void aFollowerWhosePodsRunElsewhereGetsNoNodeAndSaysWhy() {
    // the caches run on nodes the plan cannot add to (kube-scheduler would have placed the loggers there if they had
    // room): a node launched for the loggers alone held no cache, and one was launched every minute
    Plan plan = new Scheduler().schedule(new SchedulingInput(pods("logger", 3, 200, GIB / 4, beside("cache")),
        List.of(NodePool.defaultPool()), CATALOG));

    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.unschedulable()).hasSize(3)
        .allSatisfy(u -> assertThat(u.reason()).contains("pod affinity on " + WellKnownLabels.HOSTNAME));
  }

  @Test
  void aFollowerJoinsAnInFlightNodeThatHoldsAPodItSelects() {
    InFlightNode cacheNode = new InFlightNode("claim-1", "default", "m7i.2xlarge", "us-east-1a",
        CapacityType.ON_DEMAND, pods("cache", 1, 500, 6 * GIB, List.of()));
    SchedulingInput input = new SchedulingInput(pods("logger", 2, 200, GIB / 4, beside("cache")),
        List.of(NodePool.defaultPool()), CATALOG, List.of(), Map.of(), List.of(cacheNode));

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> assertThat(p.pods()).hasSize(2));
  }

  @Test
  void podsThatSelectTheirOwnKindShareOneNode() {
    SchedulingInput input = new SchedulingInput(pods("session", 5, 500, GIB, beside("session")),
        List.of(NodePool.defaultPool()), CATALOG);

    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> assertThat(c.pods()).hasSize(5));
  }
  @Test
  void podsThatSelectTheirOwnKindJoinItsNodeInFlightAndGetNoOtherNode() {
    // one session pod is on its way to an in-flight node: kube-scheduler places the others there or nowhere
    List<PendingPod> onItsWay = pods("session", 1, 500, GIB, beside("session")).stream()
        .map(p -> p.withName("web/session-running")).toList();
    for (String type : List.of("m7i.xlarge", "m7i.large")) {
      InFlightNode node = new InFlightNode("claim-1", "default", type, "us-east-1a", CapacityType.ON_DEMAND,
          onItsWay);
      SchedulingInput input = new SchedulingInput(pods("session", 3, 500, GIB, beside("session")),
          List.of(NodePool.defaultPool()), CATALOG, List.of(), Map.of(), List.of(node));

      Plan plan = new Scheduler().schedule(input);

      PlanInvariants.check(input, plan);
      assertThat(plan.nodeClaims()).as(type).isEmpty();
      if (type.equals("m7i.xlarge")) {
        // 4 vCPU: room for the three beside the one on its way
        assertThat(plan.inFlightPlacements()).singleElement().satisfies(p -> assertThat(p.pods()).hasSize(3));
      } else {
        // 2 vCPU: room for two; the third waits, reported
        assertThat(plan.unschedulable()).singleElement()
            .satisfies(u -> assertThat(u.reason()).contains("pod affinity on " + WellKnownLabels.HOSTNAME));
      }
    }
  }
}
