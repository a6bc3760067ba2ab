package dev.flotilla.interruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.Offering;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.commands.Command;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InterruptionEvent;
import dev.flotilla.contracts.InvalidEventException;
import dev.flotilla.disruption.RunningCluster;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.provisioning.Provisioner;
import dev.flotilla.testing.StaleReads;
import dev.flotilla.testing.TestEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each interruption event, in the format AWS sends, against a cluster whose nodes Flotilla launched. */
class InterruptionServiceTest {

  private final RunningCluster cluster = new RunningCluster();
  private final InterruptionService service = new InterruptionService(cluster.store, cluster.commands,
      cluster.provisioner, () -> cluster.pools, cluster.clock);
  private final List<PendingPod> pods = List.of(pod("web-1", 1500, 2048), pod("web-2", 1500, 2048));

  /** A spot node of a pool that allows spot and does not replace on rebalance, running {@link #pods}. */
  private Claim spotNode() {
    cluster.pools.set(0, spotPool("default", false));
    return cluster.node("ip-10-0-1-5", "m7i.xlarge", CapacityType.SPOT, "default",
        pods.stream().map(RunningCluster::running).toList());
  }

  private InterruptionEvent event(String file, String instanceId) {
    String json = TestEvents.read("interruption/" + file).replace("i-0b3f4c2a9d1e6f701", instanceId);
    return InterruptionEvent.of(Envelope.parse(json));
  }

  @Test
  void aZoneSpreadNodesEvictedPodsGetRoomWhereTheyMustRunAgain() {
    cluster.pools.set(0, spotPool("default", false));
    java.util.Map<String, String> app = java.util.Map.of("app", "web");
    java.util.function.Function<String, PendingPod> web = name -> pod(name, 500, 512).toBuilder().labels(app)
        .spreads(List.of(new dev.flotilla.model.TopologySpread(dev.flotilla.model.WellKnownLabels.ZONE, 1, true,
            dev.flotilla.model.LabelSelector.of(app)))).build();
    PendingPod daemon = PendingPod.builder("kube-system/aws-node-a").ownerKind("DaemonSet")
        .requests(dev.flotilla.model.Resources.of(50, 64L << 20)).build();
    // us-east-1a's node is reclaimed; 1b and 1c run two web pods each
    Claim spot = cluster.node("ip-10-0-1-5", "m7i.xlarge", CapacityType.SPOT, "default",
        List.of(running(daemon), running(web.apply("web-1")), running(web.apply("web-2"))));
    for (String zone : List.of("us-east-1b", "us-east-1c")) {
      cluster.store.putNodeState("ip-" + zone, new dev.flotilla.disruption.NodeState("ip-" + zone, "i-" + zone,
          java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, zone), false,
          dev.flotilla.model.Resources.NONE, List.of(), List.of(running(web.apply("web-" + zone + "-1")),
              running(web.apply("web-" + zone + "-2")))).toJson());
    }
    service.handle(event("spot-interruption-warning.json", spot.instanceId()));
    // the drain evicted them: the mirror has the node without its web pods, and they are pending under new names
    cluster.store.putNodeState("ip-10-0-1-5", new dev.flotilla.disruption.NodeState("ip-10-0-1-5",
        spot.instanceId(), java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, "us-east-1a"), false,
        dev.flotilla.model.Resources.NONE, List.of(), List.of(running(daemon))).toJson());

    var decision = cluster.provisioner.provision("pending-1", List.of(web.apply("web-3"), web.apply("web-4")));

    // the cluster's scheduler puts them back in 1a, the one zone below the others: so must their room
    assertThat(decision.launched()).isNotEmpty().allSatisfy(c -> assertThat(c.zones()).containsExactly("us-east-1a"));
  }

  @Test
  void aWarningWhoseClaimAnotherWriterMovedMeanwhileStillDrains() {
    Claim spot = spotNode();
    // this invocation reads the claim; another writer moves it (a node event, a release) before it writes
    cluster.store.transition(spot, spot.moved(ClaimState.Initialized, cluster.clock.instant()));
    dev.flotilla.claims.ClaimStore readBefore = (dev.flotilla.claims.ClaimStore) java.lang.reflect.Proxy
        .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {dev.flotilla.claims.ClaimStore.class},
            (proxy, method, args) -> {
              if (method.getName().equals("claimByInstance")) {
                return java.util.Optional.of(spot);
              }
              try {
                return method.invoke(cluster.store, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
    InterruptionService racing = new InterruptionService(readBefore, cluster.commands,
        new dev.flotilla.provisioning.Provisioner(readBefore, cluster.cloud, cluster.offerings, () -> cluster.pools,
            List::of, cluster.clock), () -> cluster.pools, cluster.clock);

    InterruptionService.Outcome outcome = racing.handle(event("spot-interruption-warning.json", spot.instanceId()));

    assertThat(outcome.handled()).singleElement().satisfies(h -> assertThat(h.action()).isEqualTo("drain"));
    assertThat(cluster.store.claim(spot.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    assertThat(cluster.sent()).filteredOn(c -> c.kind() == Command.Kind.Drain).singleElement()
        .satisfies(c -> assertThat(c.node()).isEqualTo("ip-10-0-1-5"));
  }

  @Test
  void aSpotWarningMarksTheOfferingAndDrainsLeavingTheEvictedPodsToTheProvisioner() {
    Claim spot = spotNode();
    int fleets = cluster.cloud.fleetRequests();

    InterruptionService.Outcome outcome = service.handle(event("spot-interruption-warning.json", spot.instanceId()));

    assertThat(outcome.kind()).isEqualTo("SpotInterruption");
    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.reason()).contains("its evicted pods go to the provisioner");
      assertThat(h.replacementClaims()).isEmpty();
    });
    assertThat(cluster.cloud.fleetRequests()).as("nothing launched ahead of the evicted pods").isEqualTo(fleets);
    assertThat(cluster.store.unavailable()).contains(new Offering.Key("m7i.xlarge", "us-east-1a", CapacityType.SPOT));
    assertThat(cluster.store.claim(spot.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("ip-10-0-1-5");
      assertThat(c.claimId()).isEqualTo(spot.id());
      assertThat(c.deadline()).isEqualTo(Instant.parse("2026-11-25T14:12:07Z"));
    });

    // the ReplicaSet recreates the evicted pods under new names; the forwarder sends them as pending
    var decision = cluster.provisioner.provision("pending-1", List.of(pod("web-3", 1500, 2048),
        pod("web-4", 1500, 2048)));

    assertThat(decision.launched()).isNotEmpty().allSatisfy(c -> assertThat(new Offering.Key(c.instanceType(),
        c.zone(), c.capacityType())).as("not the interrupted offering")
        .isNotEqualTo(new Offering.Key("m7i.xlarge", "us-east-1a", CapacityType.SPOT)));
  }

  @Test
  void theEvictedPodsOfSeveralInterruptedNodesArePlannedTogether() {
    cluster.pools.set(0, spotPool("default", false));
    List<Claim> spots = new java.util.ArrayList<>();
    for (int n = 1; n <= 4; n++) {
      spots.add(cluster.node("ip-10-0-1-" + n, "m7i.large", CapacityType.SPOT, "default",
          List.of(running(pod("api-" + n, 1500, 2048)))));
    }
    int fleets = cluster.cloud.fleetRequests();
    for (Claim spot : spots) {
      service.handle(event("spot-interruption-warning.json", spot.instanceId()));
    }
    assertThat(cluster.cloud.fleetRequests()).isEqualTo(fleets);

    // drained within the same seconds, their pods reach the provisioner in one batch
    var decision = cluster.provisioner.provision("pending-1", List.of(pod("api-5", 1500, 2048),
        pod("api-6", 1500, 2048), pod("api-7", 1500, 2048), pod("api-8", 1500, 2048)));

    // a node each, as room launched per warning bought, would be four; one plan of the four pods packs them
    assertThat(decision.launched()).hasSizeLessThan(spots.size());
    assertThat(decision.launched().stream().mapToInt(c -> c.pods().size()).sum()).isEqualTo(4);
  }

  @Test
  void aWarningBeforeTheNodeJoinsLeavesThePodsReservedThereToBePlannedAgain() {
    cluster.pools.set(0, spotPool("default", false));
    Claim launched = cluster.provisioner.provision("pending-1", pods).launched().getFirst();
    assertThat(launched.state()).isEqualTo(ClaimState.Launched);

    InterruptionService.Outcome outcome = service.handle(event("spot-interruption-warning.json",
        launched.instanceId()));

    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("none");
      assertThat(h.reason()).contains("no node registered for it yet");
    });
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(launched.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    // the pods are still pending and sent again: a draining claim holds none of them, so they are planned anew
    var again = cluster.provisioner.provision("pending-2", pods);
    assertThat(again.alreadyReserved()).isZero();
    assertThat(again.launched().stream().flatMap(c -> c.pods().stream()).toList())
        .containsExactlyInAnyOrderElementsOf(pods.stream().map(PendingPod::name).toList());
  }

  @Test
  void aRepeatedWarningLaunchesNothingMoreAndOnlyAsksForTheDrainAgain() {
    Claim spot = spotNode();
    service.handle(event("spot-interruption-warning.json", spot.instanceId()));
    cluster.sent();
    int fleets = cluster.cloud.fleetRequests();

    InterruptionService.Outcome again = service.handle(event("spot-interruption-warning.json", spot.instanceId()));

    assertThat(again.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.replacementClaims()).isEmpty();
    });
    assertThat(cluster.cloud.fleetRequests()).isEqualTo(fleets);
    // a drain is idempotent: asking again costs nothing, and a delivery retried after the first was cut short
    // before its drain went out still gets the notice to the node
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("ip-10-0-1-5");
    });
  }

  @Test
  void aRebalanceDeliveredTwiceAtOnceLaunchesOneReplacement() {
    Claim spot = spotNode();
    cluster.pools.set(0, spotPool("default", true));
    // the second delivery reads the claims as they were before the first wrote its replacement, as it would when
    // both run at once
    StaleReads racing = new StaleReads(cluster.store);
    InterruptionService second = new InterruptionService(racing, cluster.commands,
        new Provisioner(racing, cluster.cloud, cluster.offerings, () -> cluster.pools, List::of, cluster.clock),
        () -> cluster.pools, cluster.clock);
    racing.freeze();

    InterruptionService.Outcome first = service.handle(event("rebalance-recommendation.json", spot.instanceId()));
    int fleets = cluster.cloud.fleetRequests();
    InterruptionService.Outcome duplicate = second.handle(event("rebalance-recommendation.json", spot.instanceId()));

    assertThat(first.handled().getFirst().replacementClaims()).hasSize(1);
    assertThat(duplicate.handled().getFirst().replacementClaims()).isEmpty();
    assertThat(cluster.cloud.fleetRequests()).isEqualTo(fleets);
    assertThat(cluster.store.claims()).filteredOn(c -> c.state().live() && c.replaces().contains(spot.id()))
        .hasSize(1);
  }

  @Test
  void aSpotWarningDrainsTheNodeOfAnInstanceLaunchedForAClaimClosedBeforeItWasRecorded() {
    // two invocations resumed one launch: one's CreateFleet failed and closed the claim, the other's got the instance
    // under the claim's client token and died before recording it. The instance carries Flotilla's tags; its node
    // joined and runs pods
    cluster.pools.set(0, spotPool("default", false));
    Claim claim = ((dev.flotilla.claims.ClaimStore.Created) cluster.store.create(Claim.launching("claim-unrecorded",
        "default", List.of("m7i.xlarge"), List.of("us-east-1a"), CapacityType.SPOT, List.of(),
        dev.flotilla.model.Resources.NONE, 0.07, cluster.clock.instant()))).claim();
    var launched = (dev.flotilla.cloud.LaunchResult.Launched) cluster.cloud.launch(List.of(
        new dev.flotilla.cloud.LaunchRequest(claim.id(), "default", List.of("m7i.xlarge"), List.of("us-east-1a"),
            CapacityType.SPOT))).getFirst();
    cluster.store.transition(claim, claim.moved(ClaimState.Terminated, cluster.clock.instant()));
    cluster.store.putNodeState("ip-10-0-9-9", new dev.flotilla.disruption.NodeState("ip-10-0-9-9",
        launched.instanceId(), java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, "us-east-1a"), false,
        dev.flotilla.model.Resources.NONE, List.of(), pods.stream().map(RunningCluster::running).toList()).toJson());

    InterruptionService.Outcome outcome = service.handle(event("spot-interruption-warning.json",
        launched.instanceId()));

    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.node()).isEqualTo("ip-10-0-9-9");
    });
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("ip-10-0-9-9");
      assertThat(c.claimId()).isEqualTo(claim.id());
    });
    assertThat(cluster.store.unavailable()).containsExactly(
        new Offering.Key(launched.instanceType(), launched.zone(), CapacityType.SPOT));
    assertThat(cluster.store.claim(claim.id()).orElseThrow().state()).isEqualTo(ClaimState.Terminated);
  }

  @Test
  void aSpotWarningDrainsTheNodeOfAnInstanceFlotillaLaunchedForAClaimClosedMeanwhile() {
    // a claim that recorded its instance and was closed while its node still runs pods: no live claim records it
    Claim spot = spotNode();
    Claim closed = cluster.store.transition(spot, spot.moved(ClaimState.Terminated, cluster.clock.instant()));
    assertThat(closed.state().live()).isFalse();

    InterruptionService.Outcome outcome = service.handle(event("spot-interruption-warning.json", spot.instanceId()));

    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.node()).isEqualTo("ip-10-0-1-5");
      assertThat(h.claimId()).isEqualTo(spot.id());
    });
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("ip-10-0-1-5");
      assertThat(c.claimId()).isEqualTo(spot.id());
    });
    // a rebalance recommendation for it announces nothing going: it stays the garbage collector's
    assertThat(service.handle(event("rebalance-recommendation.json", spot.instanceId())).handled())
        .singleElement().satisfies(h -> assertThat(h.action()).isEqualTo("ignored"));
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(spot.id()).orElseThrow().state()).isEqualTo(ClaimState.Terminated);
  }

  @Test
  void aForeignInstanceIsLeftAlone() {
    String foreign = cluster.cloud.startForeign("m5.large", "us-east-1a", java.util.Map.of("team", "data"));
    int claims = cluster.store.claims().size();

    for (String file : List.of("spot-interruption-warning.json", "rebalance-recommendation.json",
        "instance-state-change.json", "health-scheduled-change.json")) {
      InterruptionService.Outcome outcome = service.handle(event(file, foreign));
      assertThat(outcome.handled()).singleElement().satisfies(h -> {
        assertThat(h.action()).isEqualTo("ignored");
        assertThat(h.reason()).contains("not an instance Flotilla owns");
      });
    }
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claims()).hasSize(claims);
    assertThat(cluster.store.unavailable()).isEmpty();
    assertThat(cluster.cloud.instance(foreign).state()).isEqualTo("running");
  }

  @Test
  void aRebalanceIsRecordedAndReplacedAheadOnlyWhenThePoolOptsIn() {
    Claim spot = spotNode();

    InterruptionService.Outcome recorded = service.handle(event("rebalance-recommendation.json", spot.instanceId()));
    assertThat(recorded.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("recorded");
      assertThat(h.replacementClaims()).isEmpty();
    });

    cluster.pools.set(0, spotPool("default", true));
    InterruptionService.Outcome replaced = service.handle(event("rebalance-recommendation.json", spot.instanceId()));
    assertThat(replaced.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("replace");
      assertThat(h.replacementClaims()).hasSize(1);
    });
    // the node keeps running until its replacement is ready: no drain yet, the claim unchanged
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(spot.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);

    InterruptionService.Outcome again = service.handle(event("rebalance-recommendation.json", spot.instanceId()));
    assertThat(again.handled().getFirst().action()).isEqualTo("none");
  }

  @Test
  void aLeavingStateDrainsDeletesTheNodeAndClosesTheClaim() {
    Claim node = cluster.node("ip-10-0-1-6", "m7i.xlarge", pods.stream().map(RunningCluster::running).toList());

    InterruptionService.Outcome outcome = service.handle(event("instance-state-change.json", node.instanceId()));

    assertThat(outcome.handled()).singleElement().satisfies(h -> assertThat(h.action())
        .isEqualTo("drain-delete-close"));
    assertThat(cluster.sent()).extracting(Command::kind).containsExactly(Command.Kind.Drain,
        Command.Kind.DeleteNode);
    assertThat(cluster.store.claim(node.id()).orElseThrow().state()).isEqualTo(ClaimState.Terminated);
    assertThat(cluster.store.reservations(pods.stream().map(PendingPod::name).toList())).isEmpty();

    String running = TestEvents.read("interruption/instance-state-change.json")
        .replace("i-0b3f4c2a9d1e6f701", node.instanceId()).replace("shutting-down", "running");
    assertThat(service.handle(InterruptionEvent.of(Envelope.parse(running))).handled().getFirst().action())
        .isEqualTo("ignored");
  }

  @Test
  void aScheduledRetirementDrainsBeforeItsStart() {
    Claim node = cluster.node("ip-10-0-1-7", "m7i.xlarge", pods.stream().map(RunningCluster::running).toList());
    int fleets = cluster.cloud.fleetRequests();

    InterruptionService.Outcome outcome = service.handle(event("health-scheduled-change.json", node.instanceId()));

    assertThat(outcome.kind()).isEqualTo("ScheduledChange");
    assertThat(outcome.handled()).singleElement().satisfies(h -> {
      assertThat(h.action()).isEqualTo("drain");
      assertThat(h.replacementClaims()).isEmpty();
    });
    assertThat(cluster.cloud.fleetRequests()).isEqualTo(fleets);
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.deadline()).isEqualTo(Instant.parse("2026-11-28T15:10:09Z"));
    });
    assertThat(cluster.store.claim(node.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
  }

  @Test
  void malformedEventsNameTheField() {
    String spot = TestEvents.read("interruption/spot-interruption-warning.json");
    assertThatThrownBy(() -> InterruptionEvent.of(Envelope.parse(spot.replace("\"instance-id\"", "\"instance\""))))
        .isInstanceOf(InvalidEventException.class).hasMessageContaining("detail.instance-id: is required");
    assertThatThrownBy(() -> InterruptionEvent.of(Envelope.parse(spot.replace("\"aws.ec2\"", "\"aws.s3\""))))
        .hasMessageContaining("source: expected aws.ec2");
    String health = TestEvents.read("interruption/health-scheduled-change.json");
    assertThatThrownBy(() -> InterruptionEvent.of(Envelope.parse(health.replace("Sat, 28 Nov 2026", "soon"))))
        .hasMessageContaining("detail.startTime");
    assertThatThrownBy(() -> InterruptionEvent.of(Envelope.parse(health.replace("\"entityValue\": \"i-",
        "\"entityValue\": \"vol-")))).hasMessageContaining("detail.affectedEntities[0].entityValue");
  }

  private static NodePool spotPool(String name, boolean replaceOnRebalance) {
    NodePool base = NodePool.defaultPool();
    List<dev.flotilla.model.Requirement> requirements = new java.util.ArrayList<>(base.requirements().stream()
        .filter(r -> !r.key().equals(dev.flotilla.model.WellKnownLabels.CAPACITY_TYPE)).toList());
    requirements.add(dev.flotilla.model.Requirement.in(dev.flotilla.model.WellKnownLabels.CAPACITY_TYPE,
        "spot", "on-demand"));
    return new NodePool(name, requirements, base.labels(), base.taints(), base.startupTaints(), base.limits(),
        base.weight(), new NodePool.Disruption(NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(), replaceOnRebalance));
  }
}
