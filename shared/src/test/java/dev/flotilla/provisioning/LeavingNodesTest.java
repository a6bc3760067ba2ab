package dev.flotilla.provisioning;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A zone-spread pod that the cluster's scheduler refuses only because a drained node, the last of its zone, is still
 * there gets no launch: it lands in the room already running once that node goes.
 */
class LeavingNodesTest {

  private final RunningCluster cluster = new RunningCluster();

  /**
   * The web workload runs one pod in us-east-1a and one in us-east-1b, each node with room for more; the only node
   * in us-east-1c is being drained, its web pod evicted and made again as {@code web-9}. With the drained node
   * there, us-east-1c counts none of the spread's pods, and web-9 may only go there.
   */
  private Claim drainedInC(List<NodeState.NodePod> stillShown) {
    webInAAndB();
    Claim leaving = cluster.node("ip-10-0-3-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        stillShown);
    return cluster.store.transition(leaving, leaving.moved(ClaimState.Draining, cluster.clock.instant()));
  }

  @Test
  void aPodThatLandsOnceTheDrainedNodeGoesGetsNoLaunch() {
    drainedInC(List.of());

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(web("web-9")));

    assertThat(d.launched()).isEmpty();
    assertThat(d.unschedulable()).isEmpty();
    assertThat(d.waitingForLeavingNodes()).containsExactly("shop/web-9");
    assertThat(cluster.store.reservations(List.of("shop/web-9"))).isEmpty();
  }

  @Test
  void theMirrorStillShowingTheEvictedPodsOnTheDrainedNodeHoldsTheSame() {
    // the mirror is a second behind the drain: it still shows the pod evicted a moment ago
    drainedInC(List.of(running(web("web-3"))));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(web("web-9")));

    assertThat(d.launched()).isEmpty();
    assertThat(d.waitingForLeavingNodes()).containsExactly("shop/web-9");
  }

  @Test
  void aPodIsHeldNoLongerThanTheWaitAfterTheDrainStarted() {
    drainedInC(List.of());
    cluster.clock.advance(LeavingNodes.WAIT.plus(Duration.ofSeconds(1)));

    assertPlannedAtOnce(web("web-9"));
  }

  @Test
  void aDrainedNodeHoldingAPodThatMayNotGoYetHoldsNothing() {
    // a budget that allows no disruption keeps web-3 there: the node stays as long as it does
    drainedInC(List.of(new NodeState.NodePod(web("web-3"), 0)));

    assertPlannedAtOnce(web("web-9"));
  }

  @Test
  void aDrainedNodeWhoseBudgetLetsItsPodsGoOneAtATimeHoldsNothing() {
    // two pods of one kind, a budget allowing one disruption: the node stays until both have gone
    drainedInC(List.of(new NodeState.NodePod(web("web-3"), 1), new NodeState.NodePod(web("web-4"), 1)));

    assertPlannedAtOnce(web("web-9"));
  }

  @Test
  void aStayingNodeInTheZoneThatThePodsAffinityLeavesOutDoesNotCarryTheZoneForIt() {
    // a node of another pool runs in us-east-1c; the pod selects the default pool's nodes, so kube-scheduler counts
    // us-east-1c's domain from the drained node alone
    drainedInC(List.of());
    cluster.node("ip-10-0-3-6", "m7i.large", CapacityType.ON_DEMAND, "batch", "us-east-1c", List.of());
    PendingPod selecting = web("web-9").toBuilder().nodeSelector(Map.of(WellKnownLabels.NODEPOOL, "default"))
        .build();

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(selecting));

    assertThat(d.launched()).isEmpty();
    assertThat(d.waitingForLeavingNodes()).containsExactly("shop/web-9");
  }

  @Test
  void aDrainedNodeWhoseZoneAStayingNodeSharesHoldsNothing() {
    drainedInC(List.of());
    cluster.node("ip-10-0-3-6", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of(running(pod("cache-1", 250, 256))));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(web("web-9")));

    assertThat(d.waitingForLeavingNodes()).isEmpty();
    assertThat(d.launched()).isNotEmpty();
  }

  @Test
  void podsTheStayingNodesHaveNoRoomForArePlannedAndTheRestWait() {
    drainedInC(List.of());
    // three larger web pods pending: each node staying has room for one beside what it runs (an m7i.large's two CPUs
    // less the system's, an eighth taken), and the third needs a node
    PendingPod big1 = bigWeb("web-7");
    PendingPod big2 = bigWeb("web-8");
    PendingPod big3 = bigWeb("web-9");

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(big1, big2, big3));

    assertThat(d.waitingForLeavingNodes()).hasSize(2);
    assertThat(d.launched()).singleElement().satisfies(c -> assertThat(c.pods()).hasSize(1)
        .doesNotContainAnyElementsOf(d.waitingForLeavingNodes()));
  }

  @Test
  void aPodWhoseNodeAffinityLeavesOutTheDrainedNodesZoneIsNotHeld() {
    // kube-scheduler counts the domains of the nodes the pod's affinity admits: us-east-1c is none of its
    drainedInC(List.of());
    PendingPod kept = web("web-9").toBuilder().requiredTerms(List.of(List.of(new dev.flotilla.model.Requirement(
        WellKnownLabels.ZONE, dev.flotilla.model.Operator.In, List.of("us-east-1a", "us-east-1b"))))).build();

    assertPlannedAtOnce(kept);
  }

  @Test
  void roomOnlyOnANodeStillInitializingHoldsNothing() {
    // the two nodes staying are full; a third, just joined, still carries the startup taint: its room is for the
    // pods its Nominate names
    cluster.node("ip-10-0-1-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1a",
        List.of(running(web("web-1")), running(cluster.filling("big-1", "m7i.large")),
            running(pod("cache-a", 250, 256))));
    cluster.node("ip-10-0-2-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1b",
        List.of(running(web("web-2")), running(cluster.filling("big-2", "m7i.large")),
            running(pod("cache-b", 250, 256))));
    cluster.readyWithPlanned("ip-10-0-2-6", "m7i.large", List.of(running(pod("cache-1", 250, 256))),
        List.of(dev.flotilla.binding.StartupTaint.INITIALIZING));
    Claim leaving = cluster.node("ip-10-0-3-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of());
    cluster.store.transition(leaving, leaving.moved(ClaimState.Draining, cluster.clock.instant()));

    assertPlannedAtOnce(web("web-9"));
  }

  @Test
  void aPodWithNoHardSpreadIsNeverHeld() {
    drainedInC(List.of());
    assertPlannedAtOnce(pod("cache-2", 250, 256));
  }

  private void assertPlannedAtOnce(PendingPod pod) {
    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(pod));

    assertThat(d.waitingForLeavingNodes()).isEmpty();
    assertThat(d.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly(pod.name()));
  }

  /** One web pod running in us-east-1a and one in us-east-1b, each node with room for more. */
  private void webInAAndB() {
    cluster.node("ip-10-0-1-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1a",
        List.of(running(web("web-1"))));
    cluster.node("ip-10-0-2-5", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1b",
        List.of(running(web("web-2"))));
  }

  private static PendingPod web(String name) {
    Map<String, String> labels = Map.of("app", "web");
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").labels(labels)
        .requests(pod(name, 250, 256).requests())
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(labels)))).build();
  }

  private static PendingPod bigWeb(String name) {
    return web(name).toBuilder().requests(pod(name, 1000, 1024).requests()).build();
  }
}
