package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.scheduling.NodeClaim;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.EnumSet;
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

  /**
   * A plan is kept from one pass to the next while the cluster stays as it was; an offering that ran out of capacity
   * meanwhile is part of what changed. Kept, the replace whose launch got no capacity was tried again, with the same
   * offering, every pass (insufficient-capacity: ten passes).
   */
  @Test
  void aReplaceIsPlannedAgainOnceItsOfferingIsOutOfCapacity() {
    cluster.node("big", "m7i.8xlarge", List.of(running(pod("api-1", 1000, 2048))));
    ConsolidationPlan first = consolidator.plan(view(), EnumSet.of(Action.REPLACE));
    NodeClaim bought = first.replacements().getFirst();
    dev.flotilla.catalog.Offering.Key offering = new dev.flotilla.catalog.Offering.Key(bought.instanceType(),
        bought.zone(), bought.capacityType());

    cluster.store.markUnavailable(offering, "InsufficientInstanceCapacity", java.time.Duration.ofMinutes(3));
    ConsolidationPlan second = consolidator.plan(view(), EnumSet.of(Action.REPLACE));

    assertThat(second.replacements()).singleElement().satisfies(r -> assertThat(
        new dev.flotilla.catalog.Offering.Key(r.instanceType(), r.zone(), r.capacityType())).isNotEqualTo(offering));
    assertThat(consolidator.plan(view(), EnumSet.of(Action.REPLACE))).as("kept while nothing changes")
        .isSameAs(second);
  }

  /** The cluster as a pass reads it, its catalog less what the claim store marks unavailable. */
  private Consolidator.View view() {
    Consolidator.View all = cluster.view();
    return new Consolidator.View(all.nodes(), all.claims(), all.pools(), cluster.offerings.catalog(), all.now());
  }

  private Plan oneNode(Claim node, List<PendingPod> pods) {
    Consolidator.View view = cluster.view();
    NodeState state = view.nodes().stream().filter(n -> n.node().equals(node.nodeName())).findFirst().orElseThrow();
    return consolidator.oneNode(new SchedulingInput(pods, cluster.pools, cluster.catalog),
        new ConsolidationPlan.Candidate(state, node), pods);
  }
}
