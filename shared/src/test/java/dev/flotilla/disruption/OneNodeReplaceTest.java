package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A node's pods planned as one replacement node: what single-node consolidation falls back to. */
class OneNodeReplaceTest {

  private final RunningCluster cluster = new RunningCluster();
  private final Consolidator consolidator = new Consolidator();

  @Test
  void theNodesPodsGoOnOneCheaperNodeInItsZoneCapacityTypeAndPool() {
    List<PendingPod> pods = List.of(pod("api-1", 1000, 2048), pod("api-2", 1000, 2048), pod("cache-1", 500, 6144));
    Claim node = cluster.node("big", "m7i.8xlarge", pods.stream().map(RunningCluster::running).toList());

    Plan plan = oneNode(node, pods);

    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> {
      assertThat(c.pods()).containsExactly("shop/api-1", "shop/api-2", "shop/cache-1");
      assertThat(c.requests()).isEqualTo(pods.stream().map(PendingPod::requests).reduce(Resources.NONE,
          Resources::plus));
      assertThat(c.zone()).isEqualTo(node.zone());
      assertThat(c.capacityType()).isEqualTo(CapacityType.ON_DEMAND);
      assertThat(c.nodePool()).isEqualTo(node.nodePool());
      assertThat(c.pricePerHour()).isLessThan(node.pricePerHour());
    });
  }

  /**
   * The node runs the pod under its affinity's second term; that term is kept as it is, so a cheaper type it allows
   * is chosen, not the node's own.
   */
  @Test
  void ofEachPodsRequiredAffinityTheTermTheNodeMeetsIsKeptAsItIs() {
    PendingPod picky = pod("api-1", 1000, 2048).toBuilder().requiredTerms(List.of(
        List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "c7i.large")),
        List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "m7i.4xlarge", "m7i.xlarge")))).build();
    Claim node = cluster.node("big", "m7i.4xlarge", List.of(running(picky)));

    Plan plan = oneNode(node, List.of(picky));

    assertThat(plan.nodeClaims()).singleElement().extracting(NodeClaim::instanceType).isEqualTo("m7i.xlarge");
  }

  @Test
  void aPodWhoseAffinityTheNodeMeetsNoTermOfLeavesNoPlan() {
    PendingPod elsewhere = pod("api-1", 1000, 2048).toBuilder().requiredTerms(List.of(
        List.of(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "c7i.large")))).build();
    Claim node = cluster.node("big", "m7i.4xlarge", List.of(running(elsewhere)));

    assertThat(oneNode(node, List.of(elsewhere))).isNull();
  }

  private Plan oneNode(Claim node, List<PendingPod> pods) {
    Consolidator.View view = cluster.view();
    NodeState state = view.nodes().stream().filter(n -> n.node().equals(node.nodeName())).findFirst().orElseThrow();
    return consolidator.oneNode(new SchedulingInput(pods, cluster.pools, cluster.catalog),
        new ConsolidationPlan.Candidate(state, node), pods);
  }
}
