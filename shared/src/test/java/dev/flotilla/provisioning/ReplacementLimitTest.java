package dev.flotilla.provisioning;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A disruption's replacements are checked against their pool's limits again when they launch: the plan was, but the
 * provisioner may have launched into that room while the disruption waited to validate it.
 */
class ReplacementLimitTest {

  private final RunningCluster cluster = new RunningCluster();
  private final PendingPod web = pod("web-1", 500, 512);
  private Claim replaced;

  @BeforeEach
  void aPoolOfEightCpusRunningANodeOfFour() {
    limit(8_000);
    replaced = cluster.node("ip-10-0-1-1", "m7i.xlarge", List.of(running(web)));
  }

  private void limit(long cpuMillis) {
    NodePool base = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), Resources.of("cpu", cpuMillis), base.weight(), base.disruption()));
  }

  /** A replacement planned for {@link #replaced}'s pod: an m7i.large, 2 CPUs. */
  private NodeClaim smaller() {
    return new NodeClaim("default", "us-east-1a", List.of("us-east-1a"), CapacityType.ON_DEMAND,
        List.of(new InstanceTypeOption("m7i.large", cluster.catalog.price("m7i.large", "us-east-1a",
            CapacityType.ON_DEMAND))), List.of(), web.requests(), web.requests());
  }

  @Test
  void aReplacementTheRoomOfWhichWasTakenSinceItsPlanIsNotLaunched() {
    // a node of another pool is to move into this one, planned while its 8 CPUs were free (its nodes draining after
    // a spot storm count nothing); since then the provisioner has bought all 8 for the pods that storm evicted
    Claim elsewhere = cluster.node("ip-10-0-2-1", "m7i.xlarge", CapacityType.ON_DEMAND, "batch",
        List.of(running(pod("batch-1", 500, 512))));
    NodeClaim replacement = smaller();
    cluster.node("ip-10-0-1-2", "m7i.xlarge", List.of(running(pod("api-1", 1000, 1024))));
    cluster.node("ip-10-0-1-3", "m7i.xlarge", List.of(running(pod("api-2", 1000, 1024))));
    cluster.store.transition(cluster.store.claim(replaced.id()).orElseThrow(), cluster.store.claim(replaced.id())
        .orElseThrow().moved(dev.flotilla.claims.ClaimState.Draining, cluster.clock.instant()));
    int fleets = cluster.cloud.fleetRequests();

    var decision = cluster.provisioner.launchPlanned("consolidation-1", List.of(replacement),
        List.of(pod("batch-1", 500, 512)), List.of(elsewhere.id()));

    assertThat(decision.launched()).isEmpty();
    assertThat(decision.failures()).singleElement().asString()
        .contains("NodePool default limit cpu=8 would be exceeded (8 in use)");
    assertThat(cluster.cloud.fleetRequests()).isEqualTo(fleets);
  }

  @Test
  void aNodeAnotherReplacementWaitsToTakeOverCountsNothingAsConsolidationPlannedIt() {
    // a pool of 14 CPUs: a 4-CPU node is being replaced by a 2-CPU one, still booting; a second replace, of another
    // 4-CPU node by a 2-CPU one, was planned on 8 + 2 + 2 of 14, the first node counted as gone
    limit(14_000);
    Claim second = cluster.node("ip-10-0-1-2", "m7i.xlarge", List.of(running(pod("api-1", 1000, 1024))));
    cluster.node("ip-10-0-1-3", "m7i.2xlarge", List.of(running(pod("api-2", 1000, 1024))));
    assertThat(cluster.provisioner.launchPlanned("consolidation-1", List.of(smaller()), List.of(web),
        List.of(replaced.id())).launched()).hasSize(1);

    var decision = cluster.provisioner.launchPlanned("consolidation-2", List.of(smaller()),
        List.of(pod("api-1", 1000, 1024)), List.of(second.id()));

    // counted, the first node would make it 4 + 8 + 2 + 2 = 16
    assertThat(decision.failures()).isEmpty();
    assertThat(decision.launched()).singleElement().satisfies(c -> assertThat(c.replaces())
        .containsExactly(second.id()));
  }

  @Test
  void theNodesAReplacementReplacesDoNotCountAgainstIt() {
    // 8 of 8 CPUs in use, the replaced node's 4 among them: without it, 4 + 2 fit
    cluster.node("ip-10-0-1-2", "m7i.xlarge", List.of(running(pod("api-1", 1000, 1024))));

    var decision = cluster.provisioner.launchPlanned("consolidation-1", List.of(smaller()), List.of(web),
        List.of(replaced.id()));

    assertThat(decision.failures()).isEmpty();
    assertThat(decision.launched()).singleElement().satisfies(c -> {
      assertThat(c.instanceType()).isEqualTo("m7i.large");
      assertThat(c.replaces()).containsExactly(replaced.id());
    });
  }
  @Test
  void aReplacementCountsTheLargestTypeItOffers() {
    // 8 of 8 CPUs in use, the replaced node's 4 among them: its replacement's first type (2 CPUs) fits, but
    // CreateFleet may launch the 8-CPU type it also offers
    cluster.node("ip-10-0-1-2", "m7i.xlarge", List.of(running(pod("api-1", 1000, 1024))));
    NodeClaim planned = smaller();
    NodeClaim either = new NodeClaim("default", "us-east-1a", List.of("us-east-1a"), CapacityType.ON_DEMAND,
        List.of(planned.instanceTypes().getFirst(), new InstanceTypeOption("m7i.2xlarge",
            cluster.catalog.price("m7i.2xlarge", "us-east-1a", CapacityType.ON_DEMAND))), List.of(),
        web.requests(), web.requests());

    var decision = cluster.provisioner.launchPlanned("consolidation-1", List.of(either), List.of(web),
        List.of(replaced.id()));

    assertThat(decision.launched()).isEmpty();
    assertThat(decision.failures()).singleElement().asString()
        .contains("NodePool default limit cpu=8 would be exceeded (4 in use)");
  }
}
