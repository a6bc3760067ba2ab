package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The nodes a single-node pass finds it may delete go as one command: each next candidate joins the ones found while
 * all their pods still fit in the spare room of the nodes that stay, within the pool's budget.
 */
class DeletesTogetherTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void asManyNodesAsTheSpareRoomTakesTheirPodsGoTogether() {
    List<Claim> small = cluster(5, 2);

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action()).isEqualTo(Action.DELETE);
    assertThat(plan.claimIds()).hasSize(2).isSubsetOf(small.stream().map(Claim::id).toList());
    assertThat(plan.replacements()).isEmpty();
    assertThat(new ConsolidationValidation(cluster.view(), cluster.view().poolsByName()).lands(plan.nodes(), List.of()))
        .as("the cluster's scheduler lands every pod of the nodes together").isTrue();
  }

  @Test
  void asManyAsThePoolsBudgetAllows() {
    cluster(2, 3);

    assertThat(new Consolidator().plan(cluster.view(), SINGLE).claimIds()).hasSize(2);
  }

  /**
   * Three nodes each running a 1-CPU pod with no room for another, and one node with room for {@code room} of those
   * pods; the pool may disrupt {@code budget} nodes at once.
   */
  private List<Claim> cluster(int budget, int room) {
    NodePool pool = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(pool.name(), pool.requirements(), pool.labels(), pool.taints(),
        pool.startupTaints(), pool.limits(), pool.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(new NodePool.Budget(budget, false, List.of())), false), pool.lifetime(), pool.replicas()));
    long roomy = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.2xlarge"))
        .get(dev.flotilla.model.Resources.CPU);
    cluster.node("roomy", "m7i.2xlarge", List.of(running(pod("batch-1", roomy - room * 1000L, 1024))));
    List<Claim> small = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      small.add(cluster.node("small-" + i, "m7i.large", List.of(running(pod("web-" + i, 1000, 1024)))));
    }
    return small;
  }
}
