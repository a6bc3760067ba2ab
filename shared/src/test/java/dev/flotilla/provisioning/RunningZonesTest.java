package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.claims.PodKind;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.testing.MutableClock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a plan's zone spreads count: the pods the mirror shows running, and those reserved on nodes in flight. */
class RunningZonesTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);

  private static PendingPod web(String name) {
    Map<String, String> labels = Map.of("app", "web");
    return PendingPod.builder("shop/" + name).labels(labels).ownerKind("ReplicaSet")
        .requests(Resources.of(500, 1L << 30))
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(labels))))
        .build();
  }

  private void mirror(String node, String zone, List<PendingPod> pods) {
    store.putNodeState(node, new NodeState(node, "i-" + node, Map.of(WellKnownLabels.ZONE, zone), false,
        Resources.NONE, List.of(), pods.stream().map(p -> new NodeState.NodePod(p, -1)).toList()).toJson());
  }

  private void inFlight(String id, String zone, ClaimState state, List<PendingPod> pods) {
    Claim claim = ((ClaimStore.Created) store.create(Claim.launching(id, "default", List.of("m7g.large"),
        List.of(zone), CapacityType.ON_DEMAND, pods.stream().map(PendingPod::name).toList(), Resources.NONE, 0.08,
        clock.instant()).withKinds(PodKind.of(pods)))).claim();
    Claim launched = store.transition(claim, claim.launched("i-" + id, "m7g.large", zone, CapacityType.ON_DEMAND,
        0.08, clock.instant()));
    if (state == ClaimState.Registered) {
      store.transition(launched, launched.withNode("ip-" + id).moved(ClaimState.Registered, clock.instant()));
    }
  }

  private Map<String, Integer> webByZone() {
    return RunningZones.countedBy(List.of(web("pending-0")),
        () -> store.nodeStates().values().stream().map(NodeState::parse).toList(), store.claims())
        .byZone(pod -> pod.labels().equals(Map.of("app", "web")));
  }

  @Test
  void podsReservedOnANodeInFlightCountInItsZoneUntilTheyRun() {
    mirror("ip-a", "us-east-1a", List.of(web("web-0"), web("web-1")));
    inFlight("booting", "us-east-1b", ClaimState.Launched, List.of(web("web-2"), web("web-3")));

    assertThat(webByZone()).containsExactly(Map.entry("us-east-1a", 2), Map.entry("us-east-1b", 2));
  }

  @Test
  void aClaimWhoseReadyWasLostCountsItsPodsOnceWhereTheyRun() {
    mirror("ip-a", "us-east-1a", List.of(web("web-0"), web("web-1")));
    // its node runs two of the three pods it reserved and one it did not: its Ready event never came
    inFlight("lost-ready", "us-east-1d", ClaimState.Registered, List.of(web("web-2"), web("web-3"), web("web-4")));
    mirror("ip-lost-ready", "us-east-1d", List.of(web("web-2"), web("web-3"), web("web-9")));

    // 1d holds three running web pods and one still to land there, not five running and three to come
    assertThat(webByZone()).containsExactly(Map.entry("us-east-1a", 2), Map.entry("us-east-1d", 4));
  }

  @Test
  void aCapacityTypeSpreadReadsTheMirrorAndCountsPodsByTheirNodesCapacityType() {
    LabelSelector api = LabelSelector.of(Map.of("app", "api"));
    PendingPod spread = PendingPod.builder("shop/api-0").labels(Map.of("app", "api"))
        .spreads(List.of(new TopologySpread(WellKnownLabels.CAPACITY_TYPE, 1, true, api))).build();
    // the forwarder's own nodes carry Flotilla's label, nodes another autoscaler made Karpenter's
    store.putNodeState("ip-a", new NodeState("ip-a", "i-a", Map.of(WellKnownLabels.ZONE, "us-east-1a",
        WellKnownLabels.CAPACITY_TYPE, "on-demand"), false, Resources.NONE, List.of(),
        List.of(new NodeState.NodePod(spread.withName("shop/api-1"), -1),
            new NodeState.NodePod(spread.withName("shop/api-2"), -1))).toJson());
    store.putNodeState("ip-b", new NodeState("ip-b", "i-b", Map.of(WellKnownLabels.ZONE, "us-east-1b",
        "karpenter.sh/capacity-type", "spot"), false, Resources.NONE, List.of(),
        List.of(new NodeState.NodePod(spread.withName("shop/api-3"), -1))).toJson());
    inFlight("booting", "us-east-1c", ClaimState.Launched, List.of(spread.withName("shop/api-4")));

    assertThat(RunningZones.countedBy(List.of(spread), () -> store.nodeStates().values().stream()
        .map(NodeState::parse).toList(), store.claims()).byCapacityType(p -> api.matches(p.labels())))
        .containsExactly(Map.entry("on-demand", 3), Map.entry("spot", 1));
  }

  @Test
  void podsWithZoneAffinityOrAntiAffinityReadTheMirrorAndPodsWithNoZoneRuleDoNot() {
    mirror("ip-a", "us-east-1a", List.of(web("web-0")));
    LabelSelector sessions = LabelSelector.of(Map.of("app", "session"));
    PendingPod affinity = PendingPod.builder("shop/session-0").labels(Map.of("app", "session"))
        .affinity(List.of(new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.ZONE, sessions, List.of())))
        .build();
    PendingPod anti = PendingPod.builder("shop/session-1").labels(Map.of("app", "session"))
        .antiAffinity(List.of(new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.ZONE, sessions, List.of())))
        .build();
    PendingPod plain = PendingPod.builder("shop/plain-0").build();
    java.util.function.Supplier<List<NodeState>> read = () -> store.nodeStates().values().stream()
        .map(NodeState::parse).toList();

    assertThat(RunningZones.countedBy(List.of(affinity), read, store.claims()).isEmpty()).isFalse();
    assertThat(RunningZones.countedBy(List.of(anti), read, store.claims()).isEmpty()).isFalse();
    assertThat(RunningZones.countedBy(List.of(plain), read, store.claims()).isEmpty()).isTrue();
  }
}
