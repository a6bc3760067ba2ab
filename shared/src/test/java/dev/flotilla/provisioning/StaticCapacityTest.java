package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.disruption.ConsolidationService;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Static capacity through the consolidation pass that keeps it: a pool with {@code replicas} gets that many nodes
 * with nothing pending, none of them is consolidated though they run nothing, and lowering {@code replicas} lets
 * consolidation remove the newest.
 */
class StaticCapacityTest {

  private final RunningCluster cluster = new RunningCluster();
  private final ConsolidationService service = new ConsolidationService(cluster.store, cluster.commands,
      cluster.provisioner, cluster.offerings, () -> cluster.pools, cluster.clock);

  private static NodePool base(Integer replicas) {
    return base(replicas, Resources.NONE);
  }

  private static NodePool base(Integer replicas, Resources limits) {
    return new NodePool("base", List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "m5.large"),
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand")), Map.of(), List.of(), List.of(), limits,
        0, null, replicas);
  }

  @Test
  void aStaticPoolOfSeveralTypesCountsEachNodeAsTheTypeItIsLaunchedAs() {
    // m5.large first (2 vCPUs), m5.xlarge (4) its other option: a limit of 4 CPUs holds two m5.large
    cluster.pools.add(new NodePool("base", List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "m5.large",
        "m5.xlarge"), Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand")), Map.of(), List.of(), List.of(),
        Resources.of(4_000, 1L << 40), 0, null, 3));

    pass("tick-1");

    assertThat(baseClaims()).hasSize(2)
        // the two launch together: were either to come up as an m5.xlarge, the pool would hold 6 CPUs
        .allSatisfy(c -> assertThat(c.instanceTypes()).containsExactly("m5.large"));
  }

  @Test
  void aStaticPoolLaunchesNoMoreOfItsMissingNodesThanItsLimitsAllow() {
    // m5.large: 2 vCPUs each; a limit of 5 CPUs holds two of the three replicas
    cluster.pools.add(base(3, Resources.of(5_000, 1L << 40)));

    pass("tick-1");

    assertThat(baseClaims()).hasSize(2);
  }

  private List<Claim> baseClaims() {
    return cluster.store.claims().stream().filter(c -> c.nodePool().equals("base") && c.state().live()).toList();
  }

  /** Each launched base node joins, Ready, running nothing, mirrored as the forwarder writes it. */
  private void join() {
    for (Claim c : baseClaims()) {
      if (c.state() == ClaimState.Launched) {
        String node = "node-" + c.id();
        Claim ready = cluster.lifecycle.ready(new NodeEvent(RunningCluster.CLUSTER, node, c.instanceId()))
            .orElseThrow();
        cluster.mirror(node, ready, List.of(), false);
      }
    }
  }

  private final List<String> drained = new java.util.ArrayList<>();

  private void pass(String id) {
    drained.addAll(service.run(id).drained());
  }

  @Test
  void aStaticPoolKeepsItsCountWithNothingPendingAndItsEmptyNodesAreNotConsolidated() {
    cluster.pools.add(base(2));

    pass("tick-1");
    assertThat(baseClaims()).hasSize(2).allSatisfy(c -> assertThat(c.instanceType()).isEqualTo("m5.large"));
    join();

    for (int minute = 2; minute <= 5; minute++) {
      cluster.clock.advance(Duration.ofMinutes(1));
      pass("tick-" + minute);
    }
    assertThat(drained).isEmpty();
    assertThat(baseClaims()).hasSize(2).allSatisfy(c -> assertThat(c.state()).isEqualTo(ClaimState.Initialized));
  }

  @Test
  void loweringReplicasLetsConsolidationRemoveTheNewestAndRaisingThemLaunchesMore() {
    cluster.pools.add(base(1));
    pass("tick-1");
    join();
    Claim oldest = baseClaims().getFirst();
    cluster.clock.advance(Duration.ofMinutes(1));
    cluster.pools.set(1, base(2));
    pass("tick-2");
    join();
    assertThat(baseClaims()).hasSize(2);

    cluster.pools.set(1, base(1));
    cluster.clock.advance(Duration.ofMinutes(1));
    pass("tick-3");

    assertThat(drained).containsExactly(baseClaims().stream().filter(c -> !c.id().equals(oldest.id()))
        .map(Claim::nodeName).findFirst().orElseThrow());
  }

  @Test
  void pendingPodsNeverBuyAStaticPoolsNodes() {
    List<NodePool> onlyStatic = List.of(base(1));
    Provisioner provisioner = new Provisioner(cluster.store, cluster.cloud, cluster.offerings,
        () -> StaticCapacity.dynamic(onlyStatic), List::of, cluster.clock);

    Provisioner.Decision decision = provisioner.provision("evt-1", List.of(RunningCluster.pod("web-0", 500, 512)));

    assertThat(decision.launched()).isEmpty();
    assertThat(decision.unschedulable()).hasSize(1);
    assertThat(StaticCapacity.dynamic(List.of(base(1), NodePool.defaultPool()))).extracting(NodePool::name)
        .containsExactly("default");
  }
}
