package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
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
}
