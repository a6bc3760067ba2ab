package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Operator;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A replace must save its share of what it removes, not only a fixed amount: a launch, a drain and the node's pods
 * started again for a few percent of its price is churn, whatever prices make that few percent in dollars.
 */
class ReplaceSavingTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  private final RunningCluster cluster = new RunningCluster();

  ReplaceSavingTest() {
    cluster.pools.clear();
    cluster.pools.add(new NodePool("fleet", List.of(
        new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("spot")),
        new Requirement(WellKnownLabels.INSTANCE_CATEGORY, Operator.In, List.of("c", "m"))),
        Map.of(), List.of(), List.of(), Resources.NONE, 0, null));
  }

  @Test
  void aNodeACheaperTypeHoldsForAFewPercentLessStays() {
    Claim close = cluster.node("close", "m6g.xlarge", CapacityType.SPOT, "fleet",
        List.of(running(pod("shard-1", 3000, 5120))));
    double cheaper = cluster.catalog.price("c6g.xlarge", close.zone(), CapacityType.SPOT);
    assertThat(close.pricePerHour() - cheaper).as("a c6g.xlarge holds the pod for a few percent less")
        .isPositive().isLessThan(Consolidator.MIN_SAVING_SHARE * close.pricePerHour())
        .isGreaterThan(Consolidator.MIN_SAVING_PER_HOUR);

    assertThat(new Consolidator().plan(cluster.view(), SINGLE).action()).isEqualTo(Action.NONE);
  }

  @Test
  void aNodeACheaperTypeHoldsForHalfItsPriceIsReplaced() {
    Claim large = cluster.node("large", "c6g.2xlarge", CapacityType.SPOT, "fleet",
        List.of(running(pod("shard-2", 3000, 5120))));

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action()).isEqualTo(Action.REPLACE);
    assertThat(plan.claimIds()).containsExactly(large.id());
    assertThat(plan.savingPerHour()).isGreaterThanOrEqualTo(Consolidator.MIN_SAVING_SHARE * large.pricePerHour());
  }
}
