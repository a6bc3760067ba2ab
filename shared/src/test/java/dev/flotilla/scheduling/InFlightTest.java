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
}
