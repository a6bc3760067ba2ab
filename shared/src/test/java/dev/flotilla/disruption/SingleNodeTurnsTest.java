package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.PendingPod;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Single-node consolidation tries {@link Consolidator#SINGLE_TRIES} nodes a pass, fewest pods first, and where there
 * are more than {@link Consolidator#IDLEST_FIRST_ABOVE} candidates the {@link Consolidator#IDLEST_FIRST} idlest (in
 * dollars) first. Nodes that can go nowhere cheaper come first in that order; the node worth replacing, with more
 * pods, comes after them and must still be reached. A node refused in a round is tried again in it once its pods
 * free some of what they asked for.
 */
class SingleNodeTurnsTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  /** More candidates than the idlest go first above. */
  private static final int MANY = Consolidator.IDLEST_FIRST_ABOVE + 5;

  private final RunningCluster cluster = new RunningCluster();
  private final Consolidator consolidator = new Consolidator();

  @Test
  void aPassThatCannotTryEveryNodeTriesTheIdlestFirst() {
    Claim big = fixedNodesThenABigOne(MANY);

    ConsolidationPlan first = consolidator.plan(cluster.view(), SINGLE);

    assertThat(first.claimIds()).containsExactly(big.id());
    assertThat(first.savingPerHour()).isPositive();
  }

  @Test
  void theNextPassTriesTheNodesThePassBeforeDidNotReach() {
    // fewer candidates than the idlest go first above: the turn's order alone
    reachedOnTheSecondPass(fixedNodesThenABigOne(Consolidator.SINGLE_TRIES + 5));
  }

  @Test
  void inALargeClusterTheNextPassGoesOnWithTheIdlestNotTriedYet() {
    idlerNodesThatStay();
    reachedOnTheSecondPass(fixedNodesThenABigOne(MANY));
  }

  private void reachedOnTheSecondPass(Claim big) {
    ConsolidationPlan first = consolidator.plan(cluster.view(), SINGLE);
    ConsolidationPlan second = consolidator.plan(cluster.view(), SINGLE);

    assertThat(first.action()).isEqualTo(Action.NONE);
    assertThat(second.claimIds()).containsExactly(big.id());
    assertThat(second.savingPerHour()).isPositive();
  }

  /**
   * {@code count} nodes each alone on the cheapest type for its pod, too large for another's spare room and kept off
   * the big node by its architecture (each try is refused), then a big node with two small pods; returns its claim.
   */
  private Claim fixedNodesThenABigOne(int count) {
    for (int i = 0; i < count; i++) {
      onItsCheapestNode("fixed-" + i, arm(pod("fixed-" + i, 1500 + i, 1024 + i)));
    }
    return cluster.node("big", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024)),
        running(pod("web-2", 1000, 1024))));
  }

  @Test
  void nodesAlikeButForTheirPodsNamesCostOneTry() {
    idlerNodesThatStay();
    for (int i = 0; i < MANY; i++) {
      onItsCheapestNode("shard-" + i, arm(pod("shard-" + i, 1500, 1024)));
    }
    Claim big = cluster.node("big", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024)),
        running(pod("web-2", 1000, 1024))));

    assertThat(consolidator.plan(cluster.view(), SINGLE).claimIds()).containsExactly(big.id());
  }

  @Test
  void aRoundThatFindsNothingIsKeptUntilTheClusterChanges() {
    for (int i = 0; i < Consolidator.SINGLE_TRIES + 5; i++) {
      onItsCheapestNode("fixed-" + i, arm(pod("fixed-" + i, 1500 + i, 1024 + i)));
    }

    ConsolidationPlan first = consolidator.plan(cluster.view(), SINGLE);
    ConsolidationPlan second = consolidator.plan(cluster.view(), SINGLE);
    ConsolidationPlan third = consolidator.plan(cluster.view(), SINGLE);

    assertThat(List.of(first, second, third)).allSatisfy(p -> assertThat(p.action()).isEqualTo(Action.NONE));
    // the first pass left nodes untried, so the second searched again; the second tried the last of them, so the
    // third is the second's plan, not a search
    assertThat(second).isNotSameAs(first);
    assertThat(third).isSameAs(second);
  }

  @Test
  void aNodeRefusedWhileFullIsTriedAgainOnceItsPodsLeave() {
    // one node fewer than a pass tries, each refused (its pod keeps to its node's type, the cheapest for it), then
    // the full node: the first pass reaches it and refuses it
    for (int i = 0; i < Consolidator.SINGLE_TRIES - 1; i++) {
      String node = "fixed-" + i;
      PendingPod pod = arm(pod(node, 1500 + i, 1024 + i));
      String type = cheapestType(List.of(pod));
      cluster.node(node, type, List.of(running(pod.toBuilder().nodeSelector(java.util.Map.of(
          dev.flotilla.model.WellKnownLabels.INSTANCE_TYPE, type)).build())));
    }
    List<PendingPod> full = new java.util.ArrayList<>();
    for (int i = 0; i < 15; i++) {
      full.add(arm(pod("web-" + i, 1000, 3500)));
    }
    Claim big = cluster.node("big", cheapestType(full), full.stream().map(RunningCluster::running).toList());
    // nodes with more pods than the full one, which that pass does not reach, so the round goes on; their pods keep
    // to their type, and to amd64, off the full node's room
    for (int n = 0; n < 2; n++) {
      List<PendingPod> many = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        many.add(pod("busy-" + n + "-" + i, 700 + n, 2800 + n).toBuilder().nodeSelector(java.util.Map.of(
            dev.flotilla.model.WellKnownLabels.INSTANCE_TYPE, "m7i.4xlarge")).build());
      }
      cluster.node("busy-" + n, "m7i.4xlarge", many.stream().map(RunningCluster::running).toList());
    }
    assertThat(consolidator.plan(cluster.view(), SINGLE).action()).isEqualTo(Action.NONE);

    // a scale-down, once the pods planned for it are long bound, leaves it two: the round's refusal no longer holds
    cluster.clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));
    cluster.mirror("big", big, full.subList(0, 2).stream().map(RunningCluster::running).toList(), false);
    ConsolidationPlan next = consolidator.plan(cluster.view(), SINGLE);

    assertThat(next.claimIds()).containsExactly(big.id());
    assertThat(next.savingPerHour()).isPositive();
  }

  /** The one type the scheduler plans these pods on. */
  private String cheapestType(List<PendingPod> pods) {
    var claims = new Scheduler().schedule(new SchedulingInput(pods, cluster.pools, cluster.catalog)).nodeClaims();
    assertThat(claims).hasSize(1);
    return claims.getFirst().instanceTypes().getFirst().name();
  }

  /**
   * {@link Consolidator#IDLEST_FIRST} nodes idler than the big one, each running one small pod pinned to their type and
   * kept off each other's node: no cheaper node can take it and no other has room for it, so each try is refused.
   */
  private void idlerNodesThatStay() {
    for (int i = 0; i < Consolidator.IDLEST_FIRST; i++) {
      PendingPod pinned = pod("pinned-" + i, 100, 128).toBuilder()
          .labels(java.util.Map.of("app", "pinned"))
          .nodeSelector(java.util.Map.of(dev.flotilla.model.WellKnownLabels.INSTANCE_TYPE, "m7i.8xlarge"))
          .antiAffinity(List.of(new dev.flotilla.model.PodAffinityTerm(dev.flotilla.model.WellKnownLabels.HOSTNAME,
              dev.flotilla.model.LabelSelector.of(java.util.Map.of("app", "pinned")), List.of("shop"))))
          .build();
      cluster.node("pinned-" + i, "m7i.8xlarge", List.of(running(pinned)));
    }
  }

  private static PendingPod arm(PendingPod pod) {
    return pod.toBuilder().nodeSelector(java.util.Map.of(dev.flotilla.model.WellKnownLabels.ARCH, "arm64")).build();
  }

  private void onItsCheapestNode(String node, PendingPod pod) {
    String type = new Scheduler().schedule(new SchedulingInput(List.of(pod), cluster.pools, cluster.catalog))
        .nodeClaims().getFirst().instanceTypes().getFirst().name();
    cluster.node(node, type, List.of(running(pod)));
  }
}
