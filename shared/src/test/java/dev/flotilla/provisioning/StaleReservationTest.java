package dev.flotilla.provisioning;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A pod its claim's ready node did not take is planned again once the claim's reservation has had its time, or at
 * once where the cluster's scheduler refuses it on that node.
 */
class StaleReservationTest {

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aPodStillPendingAfterItsNodeIsReadyIsPlannedAgainAfterTheGrace() {
    PendingPod leftOut = pod("web-9", 1000, 1024);
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(leftOut)));

    Provisioner.Decision early = cluster.provisioner.provision("e1", List.of(leftOut));
    assertThat(early.alreadyReserved()).isEqualTo(1);
    assertThat(early.launched()).isEmpty();

    cluster.clock.advance(Provisioner.RESERVATION_GRACE.plus(Duration.ofSeconds(1)));
    Provisioner.Decision later = cluster.provisioner.provision("e2", List.of(leftOut));

    assertThat(later.alreadyReserved()).isZero();
    assertThat(later.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/web-9"));
    assertThat(cluster.store.reservations(List.of("shop/web-9"))).containsValue(later.launched().getFirst().id())
        .doesNotContainValue(ready.id());
  }

  @Test
  void aPodItsReadyNodesZoneSpreadRefusesIsPlannedAgainInAnotherZoneAtOnce() {
    PendingPod leftOut = web("web-9");
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(leftOut)));
    // two more of the workload's pods took the node's zone meanwhile, and a node in another zone runs one
    cluster.mirror("ip-10-0-1-5", ready, List.of(running(web("web-1")), running(web("web-2"))), false);
    nodeRunning("ip-10-0-2-7", "us-east-1b", web("web-3"));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(leftOut));

    assertThat(d.launched()).singleElement().satisfies(c -> {
      assertThat(c.pods()).containsExactly("shop/web-9");
      assertThat(c.zones()).doesNotContain(ready.zone());
    });
    assertThat(cluster.store.reservations(List.of("shop/web-9"))).doesNotContainValue(ready.id());
  }

  @Test
  void aPodItsReadyNodeStillTakesKeepsItsReservationThroughTheGrace() {
    PendingPod waiting = web("web-9");
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(waiting)));
    cluster.mirror("ip-10-0-1-5", ready, List.of(), false);
    nodeRunning("ip-10-0-2-7", "us-east-1b", web("web-3"));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(waiting));

    assertThat(d.alreadyReserved()).isEqualTo(1);
    assertThat(d.launched()).isEmpty();
    assertThat(cluster.store.reservations(List.of("shop/web-9"))).containsValue(ready.id());
  }

  @Test
  void aRefusedPodsClaimKeepsItsOtherPodsReservations() {
    PendingPod refused = web("web-9");
    PendingPod other = pod("cache-1", 250, 256);
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(refused), running(other)));
    cluster.mirror("ip-10-0-1-5", ready, List.of(running(web("web-1")), running(web("web-2"))), false);
    nodeRunning("ip-10-0-2-7", "us-east-1b", web("web-3"));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(refused, other));
    Provisioner.Decision again = cluster.provisioner.provision("e2", List.of(other));

    assertThat(d.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/web-9"));
    // the cache pod may still bind on the ready node: it is neither planned again nor left unreserved
    assertThat(d.alreadyReserved()).isEqualTo(1);
    assertThat(again.alreadyReserved()).isEqualTo(1);
    assertThat(again.launched()).isEmpty();
    assertThat(cluster.store.reservations(List.of("shop/cache-1"))).containsValue(ready.id());
  }

  @Test
  void podsOfNodesReadyTogetherKeepTheirReservationsWhereTheirZoneSpreadHoldsOnceTheOthersLand() {
    // the workload runs two pods in us-east-1a and none in us-east-1b; a burst was planned two to a new node in
    // us-east-1b and one to a new node in us-east-1a, and both nodes are ready, their pods not bound yet
    nodeRunning("ip-10-0-1-7", "us-east-1a", web("web-1"));
    cluster.store.putNodeState("ip-10-0-1-8", new NodeState("ip-10-0-1-8", "i-ip-10-0-1-8", Map.of(
        WellKnownLabels.ZONE, "us-east-1a", WellKnownLabels.INSTANCE_TYPE, "m7i.large"), false,
        NodeCapacity.allocatable(cluster.catalog.type("m7i.large")), List.of(), List.of(running(web("web-2"))))
        .toJson());
    PendingPod inB1 = web("web-3");
    PendingPod inB2 = web("web-4");
    PendingPod inA = web("web-5");
    Claim b = cluster.node("ip-10-0-2-5", "m7i.large", dev.flotilla.model.CapacityType.ON_DEMAND, "default",
        "us-east-1b", List.of(running(inB1), running(inB2)));
    Claim a = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(inA)));
    cluster.mirror("ip-10-0-2-5", b, List.of(), false);
    cluster.mirror("ip-10-0-1-5", a, List.of(), false);

    // web-5 alone in us-east-1a now would be 3 against 0, but once web-3 and web-4 land in us-east-1b it is 3 to 2
    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(inA, inB1, inB2));

    assertThat(d.launched()).isEmpty();
    assertThat(d.alreadyReserved()).isEqualTo(3);
    assertThat(cluster.store.reservations(List.of("shop/web-5"))).containsValue(a.id());
  }

  @Test
  void aPodWhoseZoneSpreadHoldsOnceTheNodesStillComingHaveTheirPodsKeepsItsReservation() {
    // as above, but the node in us-east-1b for two of the pods is launched and has not joined (another runs there):
    // its two pods count where they will land
    nodeRunning("ip-10-0-1-7", "us-east-1a", web("web-1"));
    nodeRunning("ip-10-0-1-8", "us-east-1a", web("web-2"));
    nodeRunning("ip-10-0-2-9", "us-east-1b", pod("cache-1", 250, 256));
    PendingPod inB1 = web("web-3");
    PendingPod inB2 = web("web-4");
    PendingPod inA = web("web-5");
    Claim coming = ((dev.flotilla.claims.ClaimStore.Created) cluster.store.create(Claim.launching("claim-b",
        "default", List.of("m7i.large"), List.of("us-east-1b"), dev.flotilla.model.CapacityType.ON_DEMAND,
        List.of(inB1.name(), inB2.name()), inB1.requests().plus(inB2.requests()), 0.1, cluster.clock.instant())
        .withKinds(dev.flotilla.claims.PodKind.of(List.of(inB1, inB2))))).claim();
    cluster.store.transition(coming, coming.launched("i-b", "m7i.large", "us-east-1b",
        dev.flotilla.model.CapacityType.ON_DEMAND, 0.1, cluster.clock.instant()));
    Claim a = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(inA)));
    cluster.mirror("ip-10-0-1-5", a, List.of(), false);

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(inA, inB1, inB2));

    assertThat(d.launched()).as("web-5 is 3 to 0 now, 3 to 2 once the node in us-east-1b joins").isEmpty();
    assertThat(cluster.store.reservations(List.of("shop/web-5"))).containsValue(a.id());

    // without the pods coming to us-east-1b, the same pod is refused and planned again at once
    Claim closed = cluster.store.claim("claim-b").orElseThrow();
    cluster.store.transition(closed, closed.moved(dev.flotilla.claims.ClaimState.Terminated,
        cluster.clock.instant()));
    Provisioner.Decision alone = cluster.provisioner.provision("e2", List.of(inA));
    assertThat(cluster.store.reservations(List.of("shop/web-5"))).doesNotContainValue(a.id());
    assertThat(alone.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/web-5"));
  }

  @Test
  void aNodeStillComingForOtherPodsRefusesNoPodThatLandsNow() {
    // a hostname spread (maxSkew 1) runs one pod on a node; a ready node holds two more of it, which land there one
    // after the other. A node on its way for an unrelated pod is one more hostname, with none of the spread's pods:
    // counted alone it would make the second of the two one too many
    PendingPod w1 = spread("w-1");
    PendingPod w2 = spread("w-2");
    PendingPod w3 = spread("w-3");
    hostRunning("ip-10-0-1-7", List.of(running(w1)));
    Claim ready = cluster.node("ip-10-0-1-5", "m7i.large", List.of(running(w2), running(w3)));
    hostRunning("ip-10-0-1-5", List.of());
    PendingPod cache = pod("cache-1", 250, 256);
    Claim coming = ((dev.flotilla.claims.ClaimStore.Created) cluster.store.create(Claim.launching("claim-c",
        "default", List.of("m7i.large"), List.of("us-east-1b"), dev.flotilla.model.CapacityType.ON_DEMAND,
        List.of(cache.name()), cache.requests(), 0.1, cluster.clock.instant())
        .withKinds(dev.flotilla.claims.PodKind.of(List.of(cache))))).claim();
    cluster.store.transition(coming, coming.launched("i-c", "m7i.large", "us-east-1b",
        dev.flotilla.model.CapacityType.ON_DEMAND, 0.1, cluster.clock.instant()));

    Provisioner.Decision d = cluster.provisioner.provision("e1", List.of(w2, w3, cache));

    assertThat(d.launched()).isEmpty();
    assertThat(cluster.store.reservations(List.of("shop/w-2", "shop/w-3"))).containsOnly(
        Map.entry("shop/w-2", ready.id()), Map.entry("shop/w-3", ready.id()));
  }

  /** A node in us-east-1a that carries its hostname label, as every node does. */
  private void hostRunning(String node, List<NodeState.NodePod> pods) {
    cluster.store.putNodeState(node, new NodeState(node, "i-" + node, Map.of(WellKnownLabels.ZONE, "us-east-1a",
        WellKnownLabels.HOSTNAME, node, WellKnownLabels.INSTANCE_TYPE, "m7i.large"), false,
        NodeCapacity.allocatable(cluster.catalog.type("m7i.large")), List.of(), pods).toJson());
  }

  private static PendingPod spread(String name) {
    Map<String, String> labels = Map.of("app", "w");
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").labels(labels)
        .requests(pod(name, 250, 256).requests())
        .spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 1, true, LabelSelector.of(labels)))).build();
  }

  private static PendingPod web(String name) {
    Map<String, String> labels = Map.of("app", "web");
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").labels(labels)
        .requests(pod(name, 500, 512).requests())
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(labels)))).build();
  }

  private void nodeRunning(String node, String zone, PendingPod pod) {
    cluster.store.putNodeState(node, new NodeState(node, "i-" + node, Map.of(WellKnownLabels.ZONE, zone,
        WellKnownLabels.INSTANCE_TYPE, "m7i.large"), false,
        NodeCapacity.allocatable(cluster.catalog.type("m7i.large")), List.of(), List.of(running(pod))).toJson());
  }
}
