package dev.flotilla.provisioning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.Offering;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.catalog.StaticOfferingSource;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.InvalidEventException;
import dev.flotilla.contracts.PodsPending;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.testing.MutableClock;
import dev.flotilla.testing.TestEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class ProvisionerTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final OfferingCatalog catalog = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private final InMemoryCloud cloud = new InMemoryCloud("shop-prod", catalog, store, clock);
  private final Provisioner provisioner = new Provisioner(store, cloud, new StaticOfferingSource(catalog, store),
      List::of, List::of, clock);

  private static PodsPending sample() {
    return PodsPending.from(Envelope.parse(TestEvents.read("forwarder/pods-pending.json")));
  }

  @Test
  void pendingPodsBecomeClaimsWithLaunchedTaggedInstances() {
    PodsPending event = sample();

    Provisioner.Decision decision = provisioner.provision("evt-1", event.pods());

    assertThat(decision.unschedulable()).isEmpty();
    assertThat(decision.failures()).isEmpty();
    assertThat(decision.launched()).isNotEmpty().allSatisfy(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
      assertThat(cloud.instance(c.instanceId()).tags()).containsEntry(WellKnownLabels.CLAIM, c.id())
          .containsEntry(WellKnownLabels.CLUSTER, "shop-prod");
    });
    List<String> names = event.pods().stream().map(PendingPod::name).toList();
    assertThat(store.reservations(names)).hasSize(names.size());
    assertThat(decision.addedPricePerHour())
        .isEqualTo(decision.launched().stream().mapToDouble(Claim::pricePerHour).sum(),
            org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void eachInstanceIsTaggedWithTheTemplateHashItsClaimNotes() {
    dev.flotilla.nodepool.NodePool pool = dev.flotilla.nodepool.NodePool.defaultPool();
    Provisioner withPool = new Provisioner(store, cloud, new StaticOfferingSource(catalog, store),
        () -> List.of(pool), List::of, clock);

    Provisioner.Decision decision = withPool.provision("evt-1", sample().pods());

    assertThat(decision.launched()).isNotEmpty().allSatisfy(c -> {
      assertThat(c.annotations()).containsEntry(Claim.Annotations.NODEPOOL_HASH, pool.templateHash());
      assertThat(cloud.instance(c.instanceId()).tags())
          .containsEntry(dev.flotilla.cloud.OwnershipTags.NODEPOOL_HASH, pool.templateHash());
    });
  }

  @Test
  void aBurstIsPlannedAsOneDecisionFromOneEvent() {
    List<PendingPod> burst = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      int kind = i % 20;
      burst.add(PendingPod.builder("shop/svc-" + kind + "-5d8c7b-" + i).labels(Map.of("app", "svc-" + kind))
          .requests(Resources.of(250 + 100 * (kind % 5), (1L + kind % 4) << 30)).ownerKind("ReplicaSet").build());
    }
    List<dev.flotilla.events.BusEvent> events = PodsPending.events("shop-prod", "burst-1", burst);
    assertThat(events).hasSize(1);
    Envelope event = Envelope.parse("{\"id\":\"evt-burst\",\"source\":\"flotilla.forwarder\","
        + "\"detail-type\":\"Pods Pending\",\"time\":\"2026-11-25T12:00:03Z\",\"detail\":"
        + events.getFirst().detail() + "}");

    Provisioner.Decision decision = provisioner.provision(event.id(), PodsPending.from(event).pods());

    assertThat(decision.received()).isEqualTo(2000);
    assertThat(decision.unschedulable()).isEmpty();
    assertThat(decision.failures()).isEmpty();
    assertThat(store.reservations(burst.stream().map(PendingPod::name).toList())).hasSize(2000);
    assertThat(decision.launched().stream().mapToDouble(Claim::pricePerHour).sum())
        .as("one plan: within 5% of its own bound").isLessThan(decision.lowerBoundPerHour() * 1.05);
  }

  @Test
  void podsItCannotPlaceAreToldWhyThroughTheCommandQueue() {
    dev.flotilla.commands.InMemoryCommandQueue queue =
        new dev.flotilla.commands.InMemoryCommandQueue(clock, java.time.Duration.ofMinutes(6));
    Provisioner telling = new Provisioner(store, cloud, new StaticOfferingSource(catalog, store), List::of,
        List::of, clock, () -> java.util.UUID.randomUUID().toString(), queue);
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      pods.add(PendingPod.builder("shop/huge-" + i).requests(Resources.of(4_000_000, 1L << 30)).build());
    }
    pods.add(PendingPod.builder("shop/web-0").requests(Resources.of(500, 1L << 30)).build());

    Provisioner.Decision decision = telling.provision("evt-1", pods);

    assertThat(decision.unschedulable()).hasSize(250);
    List<dev.flotilla.commands.Command> sent = queue.receive(10, java.time.Duration.ZERO).stream()
        .map(r -> dev.flotilla.commands.Command.parse(r.body())).toList();
    assertThat(sent).as("200 pods a command").hasSize(2).allSatisfy(c -> {
      assertThat(c.kind()).isEqualTo(dev.flotilla.commands.Command.Kind.FailedProvisioning);
      assertThat(c.node()).isNull();
      assertThat(c.reason()).isEqualTo(decision.unschedulable().getFirst().reason());
    });
    assertThat(sent.stream().flatMap(c -> c.pods().stream())).hasSize(250).doesNotContain("shop/web-0")
        .contains("shop/huge-0", "shop/huge-249");
  }

  @Test
  void theSameEventThreeTimesLaunchesOnce() {
    PodsPending event = sample();
    provisioner.provision("evt-1", event.pods());
    int instances = cloud.ownedInstances().size();

    Provisioner.Decision second = provisioner.provision("evt-1", event.pods());
    Provisioner.Decision third = provisioner.provision("evt-1", event.pods());

    assertThat(cloud.ownedInstances()).hasSize(instances);
    assertThat(second.launched()).isEmpty();
    assertThat(third.alreadyReserved()).isEqualTo(event.pods().size());
  }

  @Test
  void racingInvocationsOnOverlappingPodsLaunchEachPodOnce() throws Exception {
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pods.add(PendingPod.builder("shop/worker-" + i).labels(Map.of("app", "worker"))
          .requests(Resources.of(1000, 2L << 30)).build());
    }
    ExecutorService executor = Executors.newFixedThreadPool(2);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Provisioner.Decision>> runs = new ArrayList<>();
      runs.add(executor.submit(() -> {
        start.await();
        return provisioner.provision("evt-a", pods.subList(0, 30));
      }));
      runs.add(executor.submit(() -> {
        start.await();
        return provisioner.provision("evt-b", pods.subList(10, 40));
      }));
      start.countDown();
      for (Future<Provisioner.Decision> run : runs) {
        run.get();
      }
    } finally {
      executor.shutdownNow();
    }
    Map<String, String> podToClaim = new HashMap<>();
    List<Claim> live = store.claims().stream().filter(c -> c.state().live()).toList();
    for (Claim c : live) {
      for (String pod : c.pods()) {
        assertThat(podToClaim.put(pod, c.id())).as("%s in two claims", pod).isNull();
      }
    }
    assertThat(cloud.ownedInstances()).hasSize(live.size());
    // a pod a rival claimed first is left for the next batch: the forwarder sends it again, and then it is placed
    provisioner.provision("evt-c", pods);
    List<Claim> after = store.claims().stream().filter(c -> c.state().live()).toList();
    assertThat(after.stream().mapToInt(c -> c.pods().size()).sum()).isEqualTo(40);
  }

  @Test
  void laterPodsFillTheSpareRoomOfALaunchedClaim() {
    List<PendingPod> first = List.of(PendingPod.builder("shop/big-0").requests(Resources.of(1500, 3L << 30)).build());
    Provisioner.Decision d1 = provisioner.provision("evt-1", first);
    Claim claim = d1.launched().getFirst();
    Resources room = dev.flotilla.catalog.NodeCapacity.allocatable(catalog.type(claim.instanceType()))
        .minus(claim.load());
    assertThat(room.cpuMillis()).isPositive();
    assertThat(room.memoryBytes()).isPositive();

    List<PendingPod> later = List.of(PendingPod.builder("shop/small-0")
        .requests(Resources.of(room.cpuMillis() / 2, room.memoryBytes() / 2)).build());
    Provisioner.Decision d2 = provisioner.provision("evt-2", later);

    assertThat(d2.launched()).isEmpty();
    assertThat(d2.addedToInFlight()).singleElement().satisfies(p -> {
      assertThat(p.claimId()).isEqualTo(claim.id());
      assertThat(p.pods()).containsExactly("shop/small-0");
    });
    assertThat(store.claim(claim.id()).orElseThrow().pods()).containsExactly("shop/big-0", "shop/small-0");
  }

  @Test
  void aLaunchWithoutCapacityReleasesItsPodsAndMarksTheOfferings() {
    PendingPod pod = PendingPod.builder("shop/x-0").requests(Resources.of(500, 1L << 30))
        .nodeSelector(Map.of(WellKnownLabels.INSTANCE_TYPE, "m7g.large")).build();
    for (String zone : catalog.zones()) {
      cloud.exhaust(new Offering.Key("m7g.large", zone, CapacityType.ON_DEMAND));
    }

    Provisioner.Decision decision = provisioner.provision("evt-1", List.of(pod));

    assertThat(decision.launched()).isEmpty();
    assertThat(decision.failures()).singleElement().asString().contains("InsufficientInstanceCapacity");
    assertThat(store.reservations(List.of("shop/x-0"))).isEmpty();
    assertThat(store.unavailable()).isNotEmpty();
  }

  @Test
  void aMalformedEventNamesItsFieldAndChangesNothing() {
    String bad = TestEvents.read("forwarder/pods-pending.json").replaceFirst("\"cpu\" : 500", "\"cpu\" : -5");
    assertThatThrownBy(() -> PodsPending.from(Envelope.parse(bad)))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("detail.kinds[0].pod.requests")
        .hasMessageContaining("negative amount of cpu");
    String noTime = TestEvents.read("forwarder/pods-pending.json").replace("\"time\" :", "\"when\" :");
    assertThatThrownBy(() -> Envelope.parse(noTime)).hasMessage("event.time: is required");
    assertThat(store.claims()).isEmpty();
    assertThat(cloud.ownedInstances()).isEmpty();
  }

  @Test
  void aLaunchAnInvocationLeftHalfDoneIsResumedOnceItsLeasePasses() {
    PendingPod pod = PendingPod.builder("shop/web-0").requests(Resources.of(500, 1L << 30)).build();
    // the invocation wrote the claim and its reservation, then died before CreateFleet
    store.create(Claim.launching("half-done", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(pod.name()), pod.requests(), 0.0816, clock.instant()));

    assertThat(provisioner.provision("evt-early", List.of(pod)).launched()).as("within the lease").isEmpty();
    clock.advance(Provisioner.LAUNCH_LEASE.plusSeconds(1));
    Provisioner.Decision resumed = provisioner.provision("evt-again", List.of(pod));

    assertThat(resumed.launched()).singleElement().satisfies(c -> {
      assertThat(c.id()).isEqualTo("half-done");
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
    });
    assertThat(cloud.ownedInstances()).hasSize(1);
  }

  @Test
  void aLaunchWhoseAnswerWasLostIsRecordedNotLaunchedAgain() {
    PendingPod pod = PendingPod.builder("shop/web-0").requests(Resources.of(500, 1L << 30)).build();
    store.create(Claim.launching("lost-answer", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(pod.name()), pod.requests(), 0.0816, clock.instant()));
    String instance = ((dev.flotilla.cloud.LaunchResult.Launched) cloud.launch(List.of(
        new dev.flotilla.cloud.LaunchRequest("lost-answer", "default", List.of("m7g.large"), List.of("us-east-1a"),
            CapacityType.ON_DEMAND))).getFirst()).instanceId();
    clock.advance(Provisioner.LAUNCH_LEASE.plusSeconds(1));

    Provisioner.Decision resumed = provisioner.provision("evt-again", List.of(pod));

    assertThat(resumed.launched()).singleElement().satisfies(c -> assertThat(c.instanceId()).isEqualTo(instance));
    assertThat(cloud.ownedInstances()).extracting(i -> i.id()).containsExactly(instance);
    assertThat(cloud.fleetRequests()).isEqualTo(1);
  }

  @Test
  void aResumedLaunchRefusedBesideAnotherResumersRecordsTheInstanceThatOneGot() {
    PendingPod pod = PendingPod.builder("shop/web-0").requests(Resources.of(500, 1L << 30)).build();
    store.create(Claim.launching("stalled", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(pod.name()), pod.requests(), 0.0816, clock.instant()));
    clock.advance(Provisioner.LAUNCH_LEASE.plusSeconds(1));
    // another invocation resumes the same claim at the same moment: its CreateFleet gets the instance, this one's,
    // under the same client token, a capacity error
    dev.flotilla.cloud.CloudProvider beside = (dev.flotilla.cloud.CloudProvider) java.lang.reflect.Proxy
        .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {dev.flotilla.cloud.CloudProvider.class},
            (proxy, method, args) -> {
              if (method.getName().equals("launch")) {
                cloud.launch(List.copyOf((List<dev.flotilla.cloud.LaunchRequest>) args[0]));
                return ((List<dev.flotilla.cloud.LaunchRequest>) args[0]).stream().map(r ->
                    (dev.flotilla.cloud.LaunchResult) new dev.flotilla.cloud.LaunchResult.Failed(r.claimId(),
                        "InsufficientInstanceCapacity")).toList();
              }
              try {
                return method.invoke(cloud, args);
              } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
              }
            });
    Provisioner resuming = new Provisioner(store, beside, new StaticOfferingSource(catalog, store), List::of,
        List::of, clock);

    Provisioner.Decision decision = resuming.provision("evt-again", List.of(pod));

    String instance = cloud.ownedInstances().getFirst().id();
    assertThat(decision.launched()).singleElement().satisfies(c -> assertThat(c.instanceId()).isEqualTo(instance));
    assertThat(store.claim("stalled")).get().satisfies(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
      assertThat(c.instanceId()).isEqualTo(instance);
    });
    assertThat(cloud.ownedInstances()).hasSize(1);
  }

  private static PendingPod shard(int i) {
    return PendingPod.builder("db/shard-" + i).labels(Map.of("app", "shard")).requests(Resources.of(250, 256L << 20))
        .antiAffinity(List.of(new dev.flotilla.model.PodAffinityTerm(WellKnownLabels.HOSTNAME,
            dev.flotilla.model.LabelSelector.of(Map.of("app", "shard")), List.of())))
        .build();
  }

  @Test
  void anInFlightNodeCountsThePodsItIsForWhenNewPodsLookForRoom() {
    Provisioner.Decision first = provisioner.provision("evt-1", List.of(shard(0)));
    assertThat(first.launched()).hasSize(1);

    // shard-1 may not share a node with shard-0, whose node is still booting: it gets a node of its own
    Provisioner.Decision second = provisioner.provision("evt-2", List.of(shard(1)));

    assertThat(second.addedToInFlight()).isEmpty();
    assertThat(second.launched()).singleElement()
        .satisfies(c -> assertThat(c.pods()).containsExactly("db/shard-1"));
  }

  @Test
  void morePodsThanOneTransactionHoldsAllGoToAnInFlightNodesRoom() {
    PendingPod big = PendingPod.builder("batch/big").requests(Resources.of(60_000, 200L << 30)).build();
    Claim claim = provisioner.provision("evt-1", List.of(big)).launched().getFirst();
    List<PendingPod> small = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      small.add(PendingPod.builder("batch/small-" + i).requests(Resources.of(10, 16L << 20)).build());
    }

    Provisioner.Decision filled = provisioner.provision("evt-2", small);

    assertThat(filled.launched()).isEmpty();
    assertThat(filled.addedToInFlight()).singleElement().satisfies(p -> {
      assertThat(p.claimId()).isEqualTo(claim.id());
      assertThat(p.pods()).hasSize(150);
    });
    assertThat(store.reservations(small.stream().map(PendingPod::name).toList())).hasSize(150);
  }

  @Test
  void aDrainingClaimCountsNothingAgainstItsPoolsLimit() {
    dev.flotilla.nodepool.NodePool base = dev.flotilla.nodepool.NodePool.defaultPool();
    dev.flotilla.nodepool.NodePool capped = new dev.flotilla.nodepool.NodePool(base.name(), base.requirements(),
        base.labels(), base.taints(), base.startupTaints(), Resources.of(8_000, 64L << 30), base.weight(),
        base.disruption());
    Provisioner withLimit = new Provisioner(store, cloud, new StaticOfferingSource(catalog, store),
        () -> List.of(capped), List::of, clock);
    List<PendingPod> first = List.of(PendingPod.builder("shop/a").requests(Resources.of(6_000, 4L << 30)).build());
    List<PendingPod> second = List.of(PendingPod.builder("shop/b").requests(Resources.of(6_000, 4L << 30)).build());
    Claim running = withLimit.provision("evt-1", first).launched().getFirst();

    Provisioner.Decision held = withLimit.provision("evt-2", second);
    assertThat(held.launched()).isEmpty();
    assertThat(held.unschedulable()).singleElement()
        .satisfies(u -> assertThat(u.reason()).contains("limit cpu=8 would be exceeded"));

    // interrupted, expired or replaced: its pods are looking for room already, and its capacity is on its way out
    store.transition(running, running.moved(ClaimState.Draining, clock.instant()));
    Provisioner.Decision launched = withLimit.provision("evt-3", second);
    assertThat(launched.unschedulable()).isEmpty();
    assertThat(launched.launched()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/b"));
  }
}
