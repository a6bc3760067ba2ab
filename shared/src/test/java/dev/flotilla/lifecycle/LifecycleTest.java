package dev.flotilla.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.ClaimStore;
import dev.flotilla.claims.InMemoryClaimStore;
import dev.flotilla.cloud.CloudInstance;
import dev.flotilla.cloud.CloudProvider;
import dev.flotilla.cloud.InMemoryCloud;
import dev.flotilla.cloud.LaunchRequest;
import dev.flotilla.cloud.LaunchResult;
import dev.flotilla.cloud.OwnershipTags;
import dev.flotilla.commands.Command;
import dev.flotilla.commands.InMemoryCommandQueue;
import dev.flotilla.contracts.Envelope;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.disruption.DisruptionReason;
import dev.flotilla.disruption.NodeState;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.testing.MutableClock;
import dev.flotilla.testing.StaleReads;
import dev.flotilla.testing.TestEvents;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T12:00:00Z"));
  private final InMemoryClaimStore store = new InMemoryClaimStore(clock);
  private final InMemoryCloud cloud = new InMemoryCloud("shop-prod",
      OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none()), store, clock);
  private final InMemoryCommandQueue commands = new InMemoryCommandQueue(clock, Duration.ofMinutes(6));
  private final Lifecycle lifecycle = new Lifecycle(store, cloud, commands, clock, Lifecycle.LAUNCH_TIMEOUT);
  private final GarbageCollector collector = new GarbageCollector(store, cloud, lifecycle, clock,
      GarbageCollector.GRACE);

  private Claim launchedClaim(String id) {
    return launchedClaim(id, List.of("shop/web-" + id));
  }

  private Claim launchedClaim(String id, List<String> pods) {
    Claim claim = ((ClaimStore.Created) store.create(Claim.launching(id, "default", List.of("m7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND, pods, Resources.of(500, 1L << 30),
        0.0816, clock.instant()))).claim();
    var l = (LaunchResult.Launched) cloud.launch(List.of(new LaunchRequest(id, "default", List.of("m7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND))).getFirst();
    return store.transition(claim, claim.launched(l.instanceId(), l.instanceType(), l.zone(), l.capacityType(),
        l.pricePerHour(), clock.instant()));
  }

  private static NodeEvent event(String file, String instanceId) {
    return NodeEvent.from(Envelope.parse(TestEvents.read(file).replace("i-0a1b2c3d4e5f60718", instanceId)));
  }

  @Test
  void nodeEventsMoveTheClaimOnceEachAndDeletionReleasesItsPods() {
    Claim claim = launchedClaim("c1");
    String id = claim.instanceId();

    assertThat(lifecycle.registered(event("forwarder/node-registered.json", id)))
        .hasValueSatisfying(c -> {
          assertThat(c.state()).isEqualTo(ClaimState.Registered);
          assertThat(c.nodeName()).isEqualTo("ip-10-0-1-23.ec2.internal");
        });
    assertThat(lifecycle.registered(event("forwarder/node-registered.json", id))).isEmpty();
    assertThat(lifecycle.ready(event("forwarder/node-ready.json", id)))
        .hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Initialized));
    assertThat(lifecycle.ready(event("forwarder/node-ready.json", id))).isEmpty();

    assertThat(lifecycle.deleted(event("forwarder/node-deleted.json", id)))
        .hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Terminated));
    assertThat(store.reservations(List.of("shop/web-c1"))).isEmpty();
    assertThat(lifecycle.deleted(event("forwarder/node-deleted.json", id))).isEmpty();
  }

  @Test
  void aReadyNodeHasThePodsItsClaimPlannedNominatedToIt() {
    Claim claim = launchedClaim("c1");
    lifecycle.registered(event("forwarder/node-registered.json", claim.instanceId()));
    assertThat(commands.size()).isZero();

    lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()));

    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo("ip-10-0-1-23.ec2.internal");
      assertThat(c.claimId()).isEqualTo("c1");
      assertThat(c.pods()).containsExactly("shop/web-c1");
    });
  }

  @Test
  void aReadyNodeWhoseClaimPlannedNoPodsStillGetsANominateThatLiftsItsTaint() {
    Claim claim = launchedClaim("empty", List.of());

    lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()));

    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo("ip-10-0-1-23.ec2.internal");
      assertThat(c.pods()).isEmpty();
    });
  }

  @Test
  void aReadyDeliveredAgainSendsTheNominateAgainOnlyWhileTheNodeMayStillCarryTheTaint() {
    Claim claim = launchedClaim("c1");
    lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()));
    sent();

    // the first invocation may have died between moving the claim and sending: the node is not mirrored yet
    assertThat(lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()))).isEmpty();
    assertThat(sent()).singleElement().satisfies(c -> assertThat(c.pods()).containsExactly("shop/web-c1"));

    mirror("ip-10-0-1-23.ec2.internal", claim.instanceId(), Taint.INITIALIZING);
    lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()));
    assertThat(sent()).hasSize(1);

    // the forwarder lifted the taint: nothing more to send
    mirror("ip-10-0-1-23.ec2.internal", claim.instanceId());
    lifecycle.ready(event("forwarder/node-ready.json", claim.instanceId()));
    assertThat(sent()).isEmpty();
  }

  @Test
  void aNodeStillTaintedAMinuteAfterItWasReadyHasItsNominateSentAgainByTheCollector() {
    Claim tainted = launchedClaim("tainted");
    Claim lifted = launchedClaim("lifted");
    Claim justReady = launchedClaim("just-ready");
    lifecycle.ready(new NodeEvent("shop-prod", "ip-tainted", tainted.instanceId()));
    lifecycle.ready(new NodeEvent("shop-prod", "ip-lifted", lifted.instanceId()));
    // the Nominate commands were lost on their way
    sent();
    mirror("ip-tainted", tainted.instanceId(), Taint.INITIALIZING);
    mirror("ip-lifted", lifted.instanceId());
    clock.advance(Lifecycle.NOMINATE_GRACE.plusSeconds(1));
    lifecycle.ready(new NodeEvent("shop-prod", "ip-just-ready", justReady.instanceId()));
    mirror("ip-just-ready", justReady.instanceId(), Taint.INITIALIZING);
    sent();
    // the provisioner released the tainted node's reservation meanwhile: its pod is being planned elsewhere
    store.release(store.claim("tainted").orElseThrow());

    GarbageCollector.Report report = collector.collect();

    assertThat(report.nominated()).containsExactly("tainted");
    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo("ip-tainted");
      assertThat(c.pods()).as("only pods the claim still reserves").isEmpty();
    });
  }

  /** A consolidation's replacement of {@code old}, launched. */
  private Claim replacementOf(String id, String old, String reason) {
    Claim claim = launchedClaim(id);
    Map<String, String> notes = reason == null ? Map.of() : Map.of(Claim.Annotations.REPLACING_FOR, reason);
    return store.transition(claim, claim.replacing(List.of(old)).annotated(notes));
  }

  /** Node "ip-old" (claim "old") Ready, and claim "new" launched by a consolidation to replace it. */
  private Claim consolidationReplacementOfAReadyNode() {
    Claim old = launchedClaim("old");
    lifecycle.ready(new NodeEvent("shop-prod", "ip-old", old.instanceId()));
    return replacementOf("new", "old", DisruptionReason.Underutilized.name());
  }

  @Test
  void aConsolidationsReplacementKeepsItsStartupTaintWhileTheNodeItReplacesWaitsToDrain() {
    Claim replacement = consolidationReplacementOfAReadyNode();
    Claim interrupted = replacementOf("spare", "old", null);
    sent();

    lifecycle.ready(new NodeEvent("shop-prod", "ip-new", replacement.instanceId()));
    lifecycle.ready(new NodeEvent("shop-prod", "ip-spare", interrupted.instanceId()));

    // ready and empty, the replacement would take the pods another drain evicts: only the interruption's spare opens
    assertThat(sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("ip-spare"));
    mirror("ip-new", replacement.instanceId(), Taint.INITIALIZING);
    lifecycle.ready(new NodeEvent("shop-prod", "ip-new", replacement.instanceId()));
    clock.advance(Lifecycle.NOMINATE_GRACE.plusSeconds(1));
    assertThat(collector.collect().nominated()).as("held, not lost").isEmpty();
    assertThat(sent()).isEmpty();

    // the old node drains: the consolidation lifts the taint itself, and the collector would, were that lost
    Claim live = store.claim("old").orElseThrow();
    store.transition(live, live.moved(ClaimState.Draining, clock.instant()));
    assertThat(collector.collect().nominated()).containsExactly("new");
    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo("ip-new");
    });
  }

  @Test
  void aHeldReplacementWhoseReadyWasLostIsCaughtUpWithoutLiftingItsTaint() {
    Claim replacement = consolidationReplacementOfAReadyNode();
    lifecycle.registered(new NodeEvent("shop-prod", "ip-new", replacement.instanceId()));
    // its Ready event went to the dead-letter queue; the mirror shows it Ready
    mirrorReady("ip-new", replacement.instanceId(), "True");
    sent();
    clock.advance(Lifecycle.NOMINATE_GRACE.plusSeconds(1));

    assertThat(collector.collect().nominated()).isEmpty();

    assertThat(store.claim("new").orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    assertThat(sent()).as("held for its old node's drain").isEmpty();
  }

  @Test
  void noReplacementIsHeldLongerThanTheHold() {
    Claim replacement = consolidationReplacementOfAReadyNode();
    lifecycle.ready(new NodeEvent("shop-prod", "ip-new", replacement.instanceId()));
    mirror("ip-new", replacement.instanceId(), Taint.INITIALIZING);
    sent();

    clock.advance(dev.flotilla.disruption.ReplacementHold.LIMIT.minusSeconds(1));
    assertThat(collector.collect().nominated()).isEmpty();
    // the consolidation never drained the old node nor gave the replace up (its passes failed, say)
    clock.advance(Duration.ofSeconds(2));
    assertThat(collector.collect().nominated()).containsExactly("new");
  }

  @Test
  void aNodeWhoseReadyWasLostIsCaughtUpAndNominatedByTheCollectorOnceItsMirrorShowsItReady() {
    Claim lost = launchedClaim("lost-ready");
    Claim booting = launchedClaim("booting");
    lifecycle.registered(new NodeEvent("shop-prod", "ip-lost", lost.instanceId()));
    lifecycle.registered(new NodeEvent("shop-prod", "ip-booting", booting.instanceId()));
    // the forwarder mirrored both nodes; the first one's Ready event went to the dead-letter queue
    mirrorReady("ip-lost", lost.instanceId(), "True");
    mirrorReady("ip-booting", booting.instanceId(), "False");

    assertThat(collector.collect().nominated()).as("within the grace its own Ready may still come").isEmpty();
    clock.advance(Lifecycle.NOMINATE_GRACE.plusSeconds(1));
    GarbageCollector.Report report = collector.collect();

    assertThat(report.nominated()).containsExactly("lost-ready");
    assertThat(store.claim("lost-ready")).hasValueSatisfying(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Initialized);
      assertThat(c.nodeName()).isEqualTo("ip-lost");
    });
    assertThat(store.claim("booting").orElseThrow().state()).isEqualTo(ClaimState.Registered);
    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.node()).isEqualTo("ip-lost");
      assertThat(c.pods()).containsExactly("shop/web-lost-ready");
    });
    // its Ready comes after all: the claim is Initialized already and the taint is still mirrored, so once more
    lifecycle.ready(new NodeEvent("shop-prod", "ip-lost", lost.instanceId()));
    assertThat(sent()).hasSize(1);
  }

  private void mirrorReady(String node, String instanceId, String ready) {
    store.putNodeState(node, new NodeState(node, instanceId, Map.of(), false, Resources.NONE,
        List.of(Taint.INITIALIZING), List.of(), List.of(new NodeState.Condition("Ready", ready, clock.instant())))
        .toJson());
  }

  /** The commands sent since last asked, taken off the queue as the forwarder takes them. */
  private List<Command> sent() {
    List<Command> sent = new java.util.ArrayList<>();
    for (var r : commands.receive(10, Duration.ZERO)) {
      sent.add(Command.parse(r.body()));
      commands.delete(r.receipt());
    }
    return sent;
  }

  private void mirror(String node, String instanceId, Taint... taints) {
    store.putNodeState(node, new NodeState(node, instanceId, Map.of(), false, Resources.NONE, List.of(taints),
        List.of()).toJson());
  }

  @Test
  void aNodeOfNoClaimIsIgnored() {
    assertThat(lifecycle.ready(event("forwarder/node-ready.json", "i-0fffffffffffffff0"))).isEmpty();
  }

  @Test
  void aLaunchThatNeverJoinsIsTerminatedAfterTheTimeoutAndItsPodsReleased() {
    Claim claim = launchedClaim("c1");
    clock.advance(Duration.ofMinutes(14));
    assertThat(lifecycle.expireLaunches()).isEmpty();

    clock.advance(Duration.ofMinutes(2));
    assertThat(lifecycle.expireLaunches()).extracting(Claim::id).containsExactly("c1");
    assertThat(cloud.instance(claim.instanceId()).state()).isEqualTo("terminated");
    assertThat(store.reservations(List.of("shop/web-c1"))).isEmpty();
  }

  @Test
  void garbageCollectionAdoptsTerminatesClosesAndLeavesForeignInstancesAlone() {
    // an instance whose claim never learned of it (a crash after CreateFleet)
    Claim orphanClaim = ((ClaimStore.Created) store.create(Claim.launching("orphan", "default",
        List.of("m7g.large"), List.of("us-east-1a"), CapacityType.ON_DEMAND, List.of("shop/a"), Resources.NONE,
        0.08, clock.instant()))).claim();
    cloud.launch(List.of(new LaunchRequest("orphan", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));
    // an instance of a claim that is gone
    cloud.launch(List.of(new LaunchRequest("no-such-claim", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));
    // a live claim whose instance disappeared
    Claim vanished = launchedClaim("vanished");
    cloud.terminate(vanished.instanceId());
    String foreign = cloud.startForeign("m5.large", "us-east-1a", Map.of("team", "data"));

    GarbageCollector.Report early = collector.collect();
    assertThat(early.adopted()).isEmpty();
    assertThat(early.terminated()).isEmpty();

    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    GarbageCollector.Report report = collector.collect();

    assertThat(report.adopted()).hasSize(1);
    assertThat(store.claim("orphan")).hasValueSatisfying(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
      assertThat(c.instanceId()).isEqualTo(report.adopted().getFirst());
    });
    assertThat(report.terminated()).hasSize(1);
    CloudInstance stray = cloud.instance(report.terminated().getFirst());
    assertThat(stray.tags()).containsEntry(WellKnownLabels.CLAIM, "no-such-claim");
    assertThat(report.closed()).containsExactly("vanished");
    assertThat(report.fleetPricePerHour()).as("only the adopted claim's instance still runs for a live claim")
        .isEqualTo(0.08);
    assertThat(cloud.instance(foreign).state()).isEqualTo("running");
    assertThat(orphanClaim.state()).isEqualTo(ClaimState.Launching);
  }

  @Test
  void anAdoptedInstanceGivesItsClaimTheTemplateHashItsTagCarriesWhereTheClaimNotesNone() {
    store.create(Claim.launching("untold", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of("shop/a"), Resources.NONE, 0.08, clock.instant()));
    store.create(Claim.launching("told", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of("shop/b"), Resources.NONE, 0.08, clock.instant()).annotated(
            Map.of(Claim.Annotations.NODEPOOL_HASH, "from-the-claim")));
    // both launched by a run that died before recording them
    cloud.launch(List.of(new LaunchRequest("untold", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, "from-the-tag")));
    cloud.launch(List.of(new LaunchRequest("told", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, "from-the-tag")));

    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    assertThat(collector.collect().adopted()).hasSize(2);

    assertThat(store.claim("untold").orElseThrow().annotations())
        .containsEntry(Claim.Annotations.NODEPOOL_HASH, "from-the-tag");
    assertThat(store.claim("told").orElseThrow().annotations()).as("what the claim noted at launch stands")
        .containsEntry(Claim.Annotations.NODEPOOL_HASH, "from-the-claim");
  }

  @Test
  void garbageCollectionAdoptsAnInstanceOfARequestForSeveralClaimsForOneStillWaiting() {
    Claim first = launchedClaim("g1");
    store.create(Claim.launching("g2", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of("shop/web-g2"), Resources.of(500, 1L << 30), 0.0816, clock.instant()));
    // one request launched for g1 and g2; g1 recorded its instance, the run died before g2 did or any tag was added
    String second = cloud.startForeign("m7g.large", "us-east-1a", OwnershipTags.forClaims("shop-prod", "default",
        List.of("g1", "g2"), null));

    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    GarbageCollector.Report report = collector.collect();

    assertThat(report.adopted()).containsExactly(second);
    assertThat(report.terminated()).isEmpty();
    assertThat(store.claim("g2")).hasValueSatisfying(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Launched);
      assertThat(c.instanceId()).isEqualTo(second);
    });
    assertThat(store.claim("g1")).hasValueSatisfying(c -> assertThat(c.instanceId()).isEqualTo(first.instanceId()));
  }

  /** The in-memory cloud, with something that happens just before a termination. */
  private static final class Racing implements CloudProvider {
    private final CloudProvider cloud;
    private Runnable beforeTerminate = () -> { };

    Racing(CloudProvider cloud) {
      this.cloud = cloud;
    }

    @Override
    public List<LaunchResult> launch(List<LaunchRequest> requests) {
      return cloud.launch(requests);
    }

    @Override
    public Termination terminate(String instanceId) {
      Runnable hook = beforeTerminate;
      beforeTerminate = () -> { };
      hook.run();
      return cloud.terminate(instanceId);
    }

    @Override
    public List<CloudInstance> ownedInstances() {
      return cloud.ownedInstances();
    }
  }

  @Test
  void aNodeJoiningWhileItsLaunchExpiresIsNeverKilledUnderALiveClaim() {
    Racing racing = new Racing(cloud);
    Lifecycle expiring = new Lifecycle(store, racing, commands, clock, Lifecycle.LAUNCH_TIMEOUT);
    Claim claim = launchedClaim("c1");
    clock.advance(Lifecycle.LAUNCH_TIMEOUT.plusMinutes(1));
    // the node registers just as the expiry acts
    racing.beforeTerminate = () -> lifecycle.registered(event("forwarder/node-registered.json", claim.instanceId()));

    expiring.expireLaunches();

    Claim after = store.claim("c1").orElseThrow();
    String instance = cloud.instance(claim.instanceId()).state();
    assertThat(after.state().live() ? "live claim, instance " + instance : "closed claim, instance " + instance)
        .isIn("live claim, instance running", "closed claim, instance terminated");
  }

  @Test
  void anExpiryCutShortAfterClosingTheClaimIsFinishedByTheGarbageCollector() {
    Racing racing = new Racing(cloud);
    Lifecycle expiring = new Lifecycle(store, racing, commands, clock, Lifecycle.LAUNCH_TIMEOUT);
    Claim claim = launchedClaim("c1");
    clock.advance(Lifecycle.LAUNCH_TIMEOUT.plusMinutes(1));
    racing.beforeTerminate = () -> {
      throw new IllegalStateException("EC2 did not answer");
    };

    try {
      expiring.expireLaunches();
    } catch (IllegalStateException cutShort) {
      // the run died here
    }

    assertThat(store.claim("c1")).hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Terminated));
    assertThat(store.reservations(List.of("shop/web-c1"))).isEmpty();
    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    assertThat(collector.collect().terminated()).containsExactly(claim.instanceId());
    assertThat(cloud.instance(claim.instanceId()).state()).isEqualTo("terminated");
  }

  @Test
  void aCollectionWhileAnotherRunsTouchesNothingAndAFailedOneLeavesNoLeaseBehind() {
    cloud.launch(List.of(new LaunchRequest("no-such-claim", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));
    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    var running = store.tryLease(GarbageCollector.LEASE_NAME, GarbageCollector.LEASE);
    assertThat(running).isPresent();

    assertThat(collector.collect().terminated()).isEmpty();
    assertThat(cloud.ownedInstances()).hasSize(1);

    store.endLease(running.get());
    Racing failing = new Racing(cloud);
    GarbageCollector failingCollector = new GarbageCollector(store, failing, lifecycle, clock, GarbageCollector.GRACE);
    failing.beforeTerminate = () -> {
      throw new IllegalStateException("EC2 did not answer");
    };
    assertThat(org.assertj.core.api.Assertions.catchThrowable(failingCollector::collect)).isNotNull();

    // the retry runs at once
    assertThat(collector.collect().terminated()).hasSize(1);
    assertThat(cloud.ownedInstances()).isEmpty();
  }

  /** An orphaned instance past the grace, and a collection that took its lease and was killed. */
  private void orphanWhileAKilledCollectionHoldsTheLease() {
    cloud.launch(List.of(new LaunchRequest("no-such-claim", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));
    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    assertThat(store.tryLease(GarbageCollector.LEASE_NAME, GarbageCollector.LEASE)).isPresent();
  }

  @Test
  void aCollectionKilledWithoutEndingItsLeaseHoldsTheNextBackOnlyUntilTheLeaseExpires() {
    orphanWhileAKilledCollectionHoldsTheLease();
    assertThat(collector.collect().terminated()).isEmpty();

    clock.advance(GarbageCollector.LEASE.plusSeconds(1));

    assertThat(collector.collect().terminated()).hasSize(1);
  }

  @Test
  void aLaunchWhoseExpiryIsRefusedHoldsBackNoOtherAndExpiresOnTheRetry() {
    for (String id : List.of("stuck-1", "stuck-2")) {
      store.create(Claim.launching(id, "default", List.of("m7g.large"), List.of("us-east-1a"),
          CapacityType.ON_DEMAND, List.of("shop/web-" + id), Resources.NONE, 0.08, clock.instant()));
    }
    clock.advance(Lifecycle.LAUNCH_TIMEOUT.plusMinutes(1));
    StaleReads throttled = new StaleReads(store);
    throttled.refuseNextTransitionOf("stuck-1");
    Lifecycle expiring = new Lifecycle(throttled, cloud, commands, clock, Lifecycle.LAUNCH_TIMEOUT);

    assertThat(org.assertj.core.api.Assertions.catchThrowable(expiring::expireLaunches)).hasMessageContaining("Rate");
    assertThat(store.claim("stuck-2")).hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Terminated));
    assertThat(store.claim("stuck-1")).hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Launching));

    assertThat(expiring.expireLaunches()).extracting(Claim::id).containsExactly("stuck-1");
  }

  @Test
  void aCollectionKilledHoldingItsLeaseHoldsBackNoScheduledOne() {
    // the run took its lease a few seconds after its tick (a restore, the first reads) and died
    orphanWhileAKilledCollectionHoldsTheLease();

    // the next tick
    clock.advance(GarbageCollector.EVERY.minusSeconds(5));

    assertThat(collector.collect().terminated()).hasSize(1);
  }

  @Test
  void aCollectionWhoseTerminationsFailStillExpiresLaunchesThatNeverJoinedAndCountsAsFailed() {
    cloud.launch(List.of(new LaunchRequest("no-such-claim", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND)));
    store.create(Claim.launching("stuck", "default", List.of("m7g.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of("shop/web-stuck"), Resources.NONE, 0.08, clock.instant()));
    clock.advance(Lifecycle.LAUNCH_TIMEOUT.plusMinutes(1));
    Racing failing = new Racing(cloud);
    failing.beforeTerminate = () -> {
      throw new IllegalStateException("EC2 did not answer");
    };
    GarbageCollector failingCollector = new GarbageCollector(store, failing, lifecycle, clock, GarbageCollector.GRACE);

    assertThat(org.assertj.core.api.Assertions.catchThrowable(failingCollector::collect))
        .as("the pass is retried").hasMessageContaining("EC2 did not answer");

    assertThat(store.claim("stuck")).hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Terminated));
    assertThat(store.reservations(List.of("shop/web-stuck"))).isEmpty();
    assertThat(cloud.ownedInstances()).as("the retry terminates the orphan").hasSize(1);
    assertThat(collector.collect().terminated()).hasSize(1);
  }

  @Test
  void anInstanceTheProvisionerRecordsWhileTheCollectorWouldAdoptItIsLeftRunning() {
    Claim claim = ((ClaimStore.Created) store.create(Claim.launching("slow", "default", List.of("m7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND, List.of("shop/web-slow"), Resources.NONE, 0.08,
        clock.instant()))).claim();
    var l = (LaunchResult.Launched) cloud.launch(List.of(new LaunchRequest("slow", "default", List.of("m7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND))).getFirst();
    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    // the collector reads the claim still Launching; the provisioner records the instance before it acts
    StaleReads racing = new StaleReads(store);
    racing.freeze();
    store.transition(claim, claim.launched(l.instanceId(), l.instanceType(), l.zone(), l.capacityType(),
        l.pricePerHour(), clock.instant()));

    GarbageCollector.Report report = new GarbageCollector(racing, cloud, lifecycle, clock, GarbageCollector.GRACE)
        .collect();

    assertThat(report.terminated()).isEmpty();
    assertThat(cloud.instance(l.instanceId()).state()).isEqualTo("running");
  }

  /** A claim written and launched whose launch was never recorded: the invocation died after CreateFleet. */
  private String unrecordedLaunch(String id) {
    store.create(Claim.launching(id, "default", List.of("m7g.large"), List.of("us-east-1a"), CapacityType.ON_DEMAND,
        List.of("shop/web-" + id), Resources.of(500, 1L << 30), 0.0816, clock.instant()));
    return ((LaunchResult.Launched) cloud.launch(List.of(new LaunchRequest(id, "default", List.of("m7g.large"),
        List.of("us-east-1a"), CapacityType.ON_DEMAND))).getFirst()).instanceId();
  }

  @Test
  void aNodeWhoseEventsWereLostCatchesUpInsteadOfBeingKilledByTheLaunchExpiry() {
    Claim claim = launchedClaim("lost-events");
    // the forwarder mirrored the node; its Registered and Ready events went to the dead-letter queue
    store.putNodeState("ip-10-0-9-9.ec2.internal", "{\"node\":\"ip-10-0-9-9.ec2.internal\",\"instanceId\":\""
        + claim.instanceId() + "\"}");
    clock.advance(Lifecycle.LAUNCH_TIMEOUT.plusMinutes(1));

    assertThat(lifecycle.expireLaunches()).isEmpty();

    assertThat(store.claim("lost-events")).hasValueSatisfying(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Initialized);
      assertThat(c.nodeName()).isEqualTo("ip-10-0-9-9.ec2.internal");
    });
    assertThat(cloud.instance(claim.instanceId()).state()).isEqualTo("running");
    // its node still carries the startup taint its Ready's Nominate would have lifted
    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isEqualTo("ip-10-0-9-9.ec2.internal");
      assertThat(c.pods()).containsExactly("shop/web-lost-events");
    });
  }

  @Test
  void aNodeOfALaunchNeverRecordedFindsItsClaimThroughTheInstanceTags() {
    String instance = unrecordedLaunch("unrecorded");

    assertThat(lifecycle.registered(event("forwarder/node-registered.json", instance)))
        .hasValueSatisfying(c -> {
          assertThat(c.id()).isEqualTo("unrecorded");
          assertThat(c.state()).isEqualTo(ClaimState.Registered);
          assertThat(c.instanceId()).isEqualTo(instance);
        });
    assertThat(store.claimByInstance(instance)).isPresent();
  }

  @Test
  void anInstanceRecordedAfterTheCollectorListedTheClaimsIsLeftRunning() {
    String instance = unrecordedLaunch("resumed");
    clock.advance(GarbageCollector.GRACE.plusSeconds(1));
    // the collector lists the claims while "resumed" still waits; a provisioner records the instance before the
    // collector looks at it, so the claim the collector then reads afresh is Launched with this very instance
    List<Claim> listed = store.claims();
    Claim waiting = store.claim("resumed").orElseThrow();
    store.transition(waiting, waiting.launched(instance, "m7g.large", "us-east-1a", CapacityType.ON_DEMAND, 0.0816,
        clock.instant()));
    ClaimStore listedBefore = around((method, call) -> method.equals("claims") ? listed : call.call());

    GarbageCollector.Report report = new GarbageCollector(listedBefore, cloud, lifecycle, clock,
        GarbageCollector.GRACE).collect();

    assertThat(report.terminated()).isEmpty();
    assertThat(cloud.instance(instance).state()).isEqualTo("running");
  }

  @Test
  void aReadyHandledBesideTheRegisteredThatRecordsAnUnrecordedLaunchStillMovesTheClaim() {
    String instance = unrecordedLaunch("beside");
    // the Ready's invocation looks the instance up and finds no claim recording it; the Registered's, running at
    // the same time, records it from the tags before the Ready's reads the tagged claim
    boolean[] raced = {false};
    ClaimStore racing = around((method, call) -> {
      Object result = call.call();
      if (method.equals("claimByInstance") && !raced[0]) {
        raced[0] = true;
        lifecycle.registered(event("forwarder/node-registered.json", instance));
      }
      return result;
    });

    assertThat(new Lifecycle(racing, cloud, commands, clock, Lifecycle.LAUNCH_TIMEOUT)
        .ready(event("forwarder/node-ready.json", instance)))
        .hasValueSatisfying(c -> assertThat(c.state()).isEqualTo(ClaimState.Initialized));
    assertThat(raced[0]).isTrue();
    assertThat(sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.pods()).containsExactly("shop/web-beside");
    });
  }

  private interface Call {
    Object call(String method, Real real) throws Throwable;
  }

  private interface Real {
    Object call() throws Throwable;
  }

  /** The store, each call made through {@code call} with the method's name and the real call. */
  private ClaimStore around(Call call) {
    return (ClaimStore) java.lang.reflect.Proxy.newProxyInstance(ClaimStore.class.getClassLoader(),
        new Class<?>[] {ClaimStore.class}, (proxy, method, args) -> call.call(method.getName(), () -> {
          try {
            return method.invoke(store, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        }));
  }
}
