package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node a replace waits on counts against its NodePool's limits until its replacements have instances: until then it
 * runs on beside whatever else the pool launches. The pool here may hold 11 CPUs: an m7i.2xlarge (8) whose
 * replacement (an m7i.large, 2) is written, an m7i.xlarge (4) whose one pod an m7i.large would run for half its
 * price, and nothing else to take that pod.
 */
class ReplacedNodeLimitsTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aReplacementWithoutAnInstanceLeavesItsNodeCountedAgainstThePool() {
    Claim idle = cluster(false);

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action() == Action.REPLACE && plan.claimIds().contains(idle.id()))
        .as("8 + 2 + 4 CPUs counted, and the pool may hold 11: no room for another 2: %s", plan).isFalse();
  }

  @Test
  void onceTheReplacementHasAnInstanceTheNodeItReplacesNoLongerCounts() {
    Claim idle = cluster(true);

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action()).as(plan.reason()).isEqualTo(Action.REPLACE);
    assertThat(plan.claimIds()).containsExactly(idle.id());
  }

  /** The cluster above; the replacement launched or not; returns the m7i.xlarge's claim. */
  private Claim cluster(boolean launched) {
    NodePool base = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), Resources.of(Resources.CPU, 11_000L), base.weight(),
        new NodePool.Disruption(NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, java.time.Duration.ZERO,
            List.of(new NodePool.Budget(5, false, List.of())), false), base.lifetime(), base.replicas()));
    Claim old = cluster.node("old", "m7i.2xlarge", List.of(running(pod("web-old", 1000, 1024))));
    Claim idle = cluster.node("idle", "m7i.xlarge", List.of(running(pod("web-1", 1000, 1024))));
    String type = "m7i.large";
    Claim replacement = ((ClaimStore.Created) cluster.store.create(Claim.launching("claim-replacement", "default",
        List.of(type), List.of("us-east-1a"), CapacityType.ON_DEMAND, List.of(), Resources.NONE,
        cluster.catalog.price(type, "us-east-1a", CapacityType.ON_DEMAND), cluster.clock.instant())
        .replacing(List.of(old.id())).annotated(Map.of(Claim.Annotations.REPLACING_FOR, "Drifted")))).claim();
    if (launched) {
      var result = (LaunchResult.Launched) cluster.cloud.launch(List.of(new LaunchRequest(replacement.id(),
          "default", List.of(type), List.of("us-east-1a"), CapacityType.ON_DEMAND))).getFirst();
      cluster.store.transition(replacement, replacement.launched(result.instanceId(), result.instanceType(),
          result.zone(), result.capacityType(), result.pricePerHour(), cluster.clock.instant()));
    }
    return idle;
  }
}
