package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A replace waiting for its replacement moves its nodes' pods, once the replacement is ready, into the replacement
 * and into the others' spare room. An action planned meanwhile on that same room is abandoned when the first drains,
 * its replacement launched for nothing. The search and its check see the cluster as it will be once the waiting
 * replace has drained, as Karpenter schedules the pods of the nodes it is deleting with each candidate's.
 *
 * <p>Two m7i.large nodes each run a 1-CPU pod and wait for one m7i.large replacement, still booting, which has room
 * for one of them; the other goes to the spare room of a large node. A third m7i.large runs one 1-CPU pod too.
 */
class WaitingReplaceRoomTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aNodeWhosePodsNeedTheRoomAWaitingReplaceCountsOnIsNotDeleted() {
    Claim small = cluster(1);
    Consolidator.View view = cluster.view();

    ConsolidationPlan plan = new Consolidator().plan(view, SINGLE);

    assertThat(plan.action() == Action.DELETE && plan.claimIds().contains(small.id()))
        .as("the one free CPU of the large node is the waiting replace's: %s", plan).isFalse();
    ConsolidationPlan.Candidate candidate = candidate(view, small);
    // the room is there now, and the pods of the replaced nodes are about to take it
    assertThat(new ConsolidationValidation(view, view.poolsByName(), Set.of(), true)
        .stranded(List.of(candidate), List.of())).isEmpty();
    assertThat(new ConsolidationValidation(view, view.poolsByName()).stranded(List.of(candidate), List.of()))
        .containsExactly("shop/web-2");
  }

  @Test
  void withRoomForItBesideTheWaitingReplacesPodsItIsDeleted() {
    Claim small = cluster(2);
    Consolidator.View view = cluster.view();

    ConsolidationPlan plan = new Consolidator().plan(view, SINGLE);

    // three pods, two places on the large node and one on the replacement still booting
    assertThat(plan.action()).isEqualTo(Action.DELETE);
    assertThat(plan.claimIds()).containsExactly(small.id());
    assertThat(new ConsolidationValidation(view, view.poolsByName()).lands(plan.nodes(), List.of())).isTrue();
  }

  /**
   * A pod pending besides, of the same kind as the waiting replace's: not one its drain evicted (that drain has not
   * begun), so it takes a place of its own ahead of the candidate's pod.
   */
  @Test
  void aPodPendingOfTheKindOfAWaitingReplacesPodsIsNotTakenForOneOfThem() {
    Claim small = cluster(2);
    Consolidator.View bare = cluster.view();
    Consolidator.View view = new Consolidator.View(bare.nodes(), bare.claims(), bare.pools(), bare.catalog(),
        bare.now(), List.of(), dev.flotilla.contracts.PendingPods.of(bare.now(), List.of(pod("web-9", 1000, 1024))));

    assertThat(new ConsolidationValidation(bare, bare.poolsByName()).stranded(List.of(candidate(bare, small)),
        List.of())).isEmpty();
    assertThat(new ConsolidationValidation(view, view.poolsByName()).stranded(List.of(candidate(view, small)),
        List.of())).containsExactly("shop/web-2");
  }

  /** The cluster above, the large node with room for {@code room} 1-CPU pods; returns the third node's claim. */
  private Claim cluster(int room) {
    cluster.consolidateAtOnce(5);
    long roomy = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.2xlarge"))
        .get(Resources.CPU);
    cluster.node("roomy", "m7i.2xlarge", List.of(running(pod("batch-1", roomy - room * 1000L, 1024))));
    Claim old0 = cluster.node("old-0", "m7i.large", List.of(running(pod("web-old-0", 1000, 1024))));
    Claim old1 = cluster.node("old-1", "m7i.large", List.of(running(pod("web-old-1", 1000, 1024))));
    Claim small = cluster.node("small", "m7i.large", List.of(running(pod("web-2", 1000, 1024))));
    replacement("claim-replacement", "m7i.large", List.of(old0.id(), old1.id()));
    return small;
  }

  /** A consolidation's replacement, launched and not joined yet, standing in for {@code replaces}. */
  private void replacement(String id, String type, List<String> replaces) {
    Claim claim = ((ClaimStore.Created) cluster.store.create(Claim.launching(id, "default", List.of(type),
        List.of("us-east-1a"), CapacityType.ON_DEMAND, List.of(), Resources.NONE,
        cluster.catalog.price(type, "us-east-1a", CapacityType.ON_DEMAND), cluster.clock.instant())
        .replacing(replaces).annotated(Map.of(Claim.Annotations.REPLACING_FOR, "Underutilized")))).claim();
    var launched = (LaunchResult.Launched) cluster.cloud.launch(List.of(new LaunchRequest(id, "default",
        List.of(type), List.of("us-east-1a"), CapacityType.ON_DEMAND))).getFirst();
    Claim booting = cluster.store.transition(claim, claim.launched(launched.instanceId(), launched.instanceType(),
        launched.zone(), launched.capacityType(), launched.pricePerHour(), cluster.clock.instant()));
    assertThat(booting.state()).isEqualTo(ClaimState.Launched);
  }

  private ConsolidationPlan.Candidate candidate(Consolidator.View view, Claim claim) {
    NodeState state = view.nodes().stream().filter(n -> n.node().equals(claim.nodeName())).findFirst().orElseThrow();
    return new ConsolidationPlan.Candidate(state, claim);
  }
}
