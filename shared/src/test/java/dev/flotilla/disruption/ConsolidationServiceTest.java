package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.commands.Command;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each consolidation action over node-state items, and each reason it must hold back. */
class ConsolidationServiceTest {

  private final RunningCluster cluster = new RunningCluster();
  private final ConsolidationService service = new ConsolidationService(cluster.store, cluster.commands,
      cluster.provisioner, cluster.offerings, () -> cluster.pools, cluster.clock);

  /** Three pods spread over zones (maxSkew 1): no single node may hold them all. */
  private static List<NodeState.NodePod> spreadOverZones() {
    dev.flotilla.model.LabelSelector web = dev.flotilla.model.LabelSelector.of(java.util.Map.of("app", "web"));
    List<NodeState.NodePod> pods = new java.util.ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      pods.add(running(pod("web-" + i, 1000, 1024).toBuilder().labels(java.util.Map.of("app", "web"))
          .spreads(List.of(new dev.flotilla.model.TopologySpread(dev.flotilla.model.WellKnownLabels.ZONE, 1, true,
              web))).build()));
    }
    return pods;
  }

  private static NodeState.NodePod daemon(String name) {
    return running(PendingPod.builder("kube-system/" + name).ownerKind("DaemonSet")
        .requests(dev.flotilla.model.Resources.of(50, 64L << 20)).build());
  }

  @Test
  void anEmptyNodeIsDrainedAndItsClaimDraining() {
    cluster.node("busy", "m7i.xlarge", List.of(daemon("aws-node-a"), running(pod("web-1", 1000, 1024))));
    Claim empty = cluster.node("idle", "m7i.xlarge", List.of(daemon("aws-node-b")));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.DELETE_EMPTY);
    assertThat(pass.plan().claimIds()).containsExactly(empty.id());
    assertThat(pass.plan().savingPerHour()).isEqualTo(empty.pricePerHour());
    assertThat(pass.started()).isTrue();
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("idle");
      assertThat(c.reason()).contains("DeleteEmpty");
    });
    assertThat(cluster.store.claim(empty.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);

    // the forwarder reports the drain done: the instance goes, the claim closes
    assertThat(cluster.lifecycle.drained(empty.id())).hasValueSatisfying(c ->
        assertThat(c.state()).isEqualTo(ClaimState.Terminated));
    assertThat(cluster.cloud.instance(empty.instanceId()).state()).isEqualTo("terminated");
  }

  @Test
  void aNodeJustReadyWhosePlannedPodsAreNotBoundYetIsNotEmpty() {
    cluster.node("busy", "m7i.xlarge", List.of(daemon("aws-node-a"), running(pod("web-1", 1000, 1024))));
    Claim fresh = cluster.node("fresh", "m7i.xlarge", List.of(daemon("aws-node-b")));
    // the provisioner planned two pods onto it; the cluster's scheduler has not bound them yet
    Claim planned = cluster.store.transition(fresh, fresh.withMorePods(List.of("default/web-2", "default/web-3"),
        dev.flotilla.model.Resources.of(2000, 2L << 30), cluster.clock.instant()));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().claimIds()).doesNotContain(planned.id());
    assertThat(pass.plan().skipped()).anySatisfy(s -> assertThat(s).startsWith("fresh: pods planned for it"));
    assertThat(cluster.store.claim(planned.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);

    cluster.clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));
    assertThat(service.run("tick-2").plan().skipped()).noneSatisfy(s -> assertThat(s).startsWith("fresh: pods planned"));
  }

  @Test
  void aReplaceBuysNoTypeThatWouldEatItsSaving() {
    Claim big = cluster.node("big", "m6g.medium", List.of(daemon("aws-node-a"), running(pod("web-1", 500, 512))));
    // every offering cheaper than the node is out of capacity: CreateFleet could only find dearer ones
    for (dev.flotilla.catalog.InstanceType t : cluster.catalog.types()) {
      for (dev.flotilla.catalog.Offering o : cluster.catalog.offerings(t)) {
        if (o.pricePerHour() < big.pricePerHour()) {
          cluster.cloud.exhaust(o.key());
        }
      }
    }

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.REPLACE);
    assertThat(pass.started()).isFalse();
    assertThat(cluster.cloud.ownedInstances()).singleElement()
        .satisfies(i -> assertThat(i.id()).isEqualTo(big.instanceId()));
  }

  @Test
  void aPassWhileAnotherRunsDoesNothingAndAnAbandonedPassHoldsNoOneBackPastItsLease() {
    cluster.node("busy", "m7i.xlarge", List.of(daemon("aws-node-a"), running(pod("web-1", 1000, 1024))));
    Claim empty = cluster.node("idle", "m7i.xlarge", List.of(daemon("aws-node-b")));
    // another pass is running (or was killed without ending its lease)
    assertThat(cluster.store.tryLease(ConsolidationService.LEASE_NAME, ConsolidationService.LEASE)).isPresent();

    ConsolidationService.Pass skipped = service.run("tick-1");

    assertThat(skipped.started()).isFalse();
    assertThat(skipped.outcome()).contains("another consolidation pass");
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(empty.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);

    // the next tick: the lease was taken a few seconds after its own, and a killed pass holds back only its retries
    cluster.clock.advance(ConsolidationService.EVERY.minusSeconds(3));
    assertThat(service.run("tick-2").started()).isTrue();
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("idle"));
  }

  @Test
  void aPassEndsItsLeaseEvenWhenItFails() {
    cluster.node("busy", "m7i.xlarge", List.of(daemon("aws-node-a"), running(pod("web-1", 1000, 1024))));
    cluster.node("idle", "m7i.xlarge", List.of(daemon("aws-node-b")));
    cluster.store.putNodeState("broken", "not a node document");

    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> service.run("tick-1"))).isNotNull();
    cluster.store.deleteNodeState("broken");

    // the retry runs at once: the failed pass left no lease behind
    assertThat(service.run("tick-1").started()).isTrue();
    assertThat(service.run("tick-2").outcome()).doesNotContain("another consolidation pass");
  }

  @Test
  void aDrainThatOutlivesItsDeadlineIsAskedForAgainNotForgotten() {
    Claim empty = cluster.node("idle", "m7i.xlarge", List.of(daemon("aws-node-b")));
    cluster.node("busy", "m7i.xlarge", List.of(running(pod("web-1", 1000, 1024))));
    service.run("tick-1");
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("idle"));

    // the forwarder reported Drain Failed (a budget held a pod): nothing closes the claim
    cluster.clock.advance(Duration.ofMinutes(5));
    service.run("tick-2");
    assertThat(cluster.sent()).as("still within the drain's deadline").isEmpty();

    cluster.clock.advance(ConsolidationService.DRAIN_DEADLINE);
    service.run("tick-3");
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("idle");
      assertThat(c.reason()).contains("retried");
    });
    assertThat(cluster.store.claim(empty.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    service.run("tick-4");
    assertThat(cluster.sent()).as("once per deadline, not every pass").isEmpty();
  }

  @Test
  void aNodeWhosePodsFitInTheOthersSpareRoomIsDeleted() {
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.DELETE);
    assertThat(pass.plan().claimIds()).containsExactly(small.id());
    assertThat(pass.plan().moves()).singleElement().satisfies(m -> assertThat(m.pods()).containsExactly("shop/web-1"));
    assertThat(pass.plan().replacements()).isEmpty();
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("small"));
  }

  @Test
  void aCommandWaitsAndIsDroppedWhenTheClusterNoLongerLandsItsPods() {
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    Claim big = cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)),
        running(pod("web-3", 500, 512))));

    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).as(begun.waiting() ? "" : begun.pass().outcome()).isTrue();
    assertThat(begun.command().plan().claimIds()).containsExactly(small.id());
    assertThat(cluster.sent()).as("nothing acts before the check").isEmpty();

    // while the command waits, a pod lands in the spare room web-1 was to take
    Resources room = NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge"));
    cluster.mirror("big", big, List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512)),
        running(pod("batch-1", room.get(Resources.CPU) - 1700, 512))), false);
    cluster.clock.advance(ConsolidationService.VALIDATION_DELAY);
    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).isFalse();
    assertThat(pass.outcome()).contains("changed").contains("shop/web-1");
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(small.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
  }

  /** As above, but the pod that takes the room is still pending: the forwarder mirrors it into the table. */
  @Test
  void aCommandIsDroppedWhenPodsPendingMeanwhileWouldTakeTheRoomItsPodsNeed() {
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));

    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).isTrue();
    Resources room = NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge"));
    cluster.store.putPendingPods(dev.flotilla.contracts.PendingPods.of(cluster.clock.instant(),
        List.of(pod("batch-1", room.get(Resources.CPU) - 1700, 512))).toJson());
    cluster.clock.advance(ConsolidationService.VALIDATION_DELAY);
    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).isFalse();
    assertThat(pass.outcome()).contains("shop/web-1");
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(small.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
  }

  /** The forwarder has not written the document lately (gone, rolled back): what it last saw is not read. */
  @Test
  void aPendingPodsDocumentTheForwarderStoppedRefreshingIsNotRead() {
    cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));
    Resources room = NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge"));
    cluster.store.putPendingPods(dev.flotilla.contracts.PendingPods.of(cluster.clock.instant(),
        List.of(pod("batch-1", room.get(Resources.CPU) - 1700, 512))).toJson());
    cluster.clock.advance(dev.flotilla.contracts.PendingPods.STALE_AFTER.plusSeconds(1));
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> log =
        new ch.qos.logback.core.read.ListAppender<>();
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
        .getLogger(ConsolidationService.class);
    log.start();
    logger.addAppender(log);
    ConsolidationService.Pass pass;
    try {
      pass = service.run("tick-1");
      service.run("tick-2");
    } finally {
      logger.detachAppender(log);
    }

    assertThat(pass.started()).isTrue();
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("small"));
    assertThat(log.list).as("warned once for the document, not on every read of every pass")
        .filteredOn(e -> e.getFormattedMessage().contains("pending pods mirror not read")).hasSize(1);
  }

  @Test
  void aCommandThatStillHoldsAfterItsWaitIsStartedThoughOtherNodesChanged() {
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));

    ConsolidationService.Begun begun = service.begin("tick-1");
    // meanwhile another node joins with pods of its own: the command is not searched for again, only checked
    cluster.node("late", "m7i.large", List.of(running(pod("api-1", 1500, 2048))));
    cluster.clock.advance(ConsolidationService.VALIDATION_DELAY);
    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).isTrue();
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("small"));
    assertThat(cluster.store.claim(small.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
  }

  @Test
  void aPassLeftTooLittleTimeForItsWaitStartsNothingAndEndsItsLeaseForTheNext() {
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));
    Duration left = ConsolidationService.VALIDATION_DELAY.plus(ConsolidationService.SECOND_HALF).minusMillis(1);

    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).isTrue();
    assertThat(ConsolidationService.timeToFinish(left)).isFalse();
    ConsolidationService.Pass given = service.giveUp(begun, left);

    assertThat(given.started()).isFalse();
    assertThat(given.outcome()).startsWith("not checked: 24 s left");
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim(small.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    // the lease ended with it: the next tick's pass runs, finds the command again and starts it
    assertThat(ConsolidationService.timeToFinish(left.plusMillis(1))).isTrue();
    ConsolidationService.Pass next = service.run("tick-2");
    assertThat(next.started()).isTrue();
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.node()).isEqualTo("small"));
  }

  @Test
  void aNodeOneCheaperNodeCanRunIsReplacedAndDrainedOnlyWhenTheReplacementIsReady() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.REPLACE);
    assertThat(pass.plan().savingPerHour()).isPositive();
    assertThat(pass.replacementClaims()).hasSize(1);
    Claim replacement = cluster.store.claim(pass.replacementClaims().getFirst()).orElseThrow();
    assertThat(replacement.replaces()).containsExactly(oversized.id());
    assertThat(replacement.pricePerHour()).isLessThan(oversized.pricePerHour());
    assertThat(cluster.sent()).as("nothing drains before the replacement is ready").isEmpty();
    assertThat(service.run("tick-2").plan().skipped()).anyMatch(s -> s.contains("a replacement is already on its way"));
    assertThat(cluster.sent()).isEmpty();

    cluster.ready("replacement", replacement);
    ConsolidationService.Pass third = service.run("tick-3");

    assertThat(third.drained()).containsExactly("oversized");
    // the replacement kept its startup taint until now (no other drain's pods took its room): lifted first
    List<Command> sent = cluster.sent();
    assertThat(sent).extracting(Command::kind, Command::node).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Nominate, "replacement"),
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "oversized"));
    assertThat(sent.getFirst().pods()).as("its pods still run on the node it replaces").isEmpty();
    assertThat(sent.getLast().reason()).contains("replaced by claim " + replacement.id());
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
  }

  @Test
  void aNodeWhosePodsMustSpreadIsReplacedBySeveralAndDrainedOnlyWhenAllAreReady() {
    Claim oversized = cluster.node("oversized", "m7i.8xlarge", spreadOverZones());

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.REPLACE);
    assertThat(pass.plan().reason()).contains("3 nodes together cheaper");
    assertThat(pass.plan().savingPerHour()).isGreaterThanOrEqualTo(Consolidator.SPLIT_SAVING * oversized.pricePerHour());
    assertThat(pass.replacementClaims()).hasSize(3);
    List<Claim> replacements = pass.replacementClaims().stream()
        .map(id -> cluster.store.claim(id).orElseThrow()).toList();
    assertThat(replacements).allSatisfy(r -> assertThat(r.replaces()).containsExactly(oversized.id()));
    assertThat(replacements.stream().map(Claim::zone).distinct()).hasSize(3);

    for (int i = 0; i < replacements.size(); i++) {
      assertThat(cluster.sent()).as("nothing drains before every replacement is ready").isEmpty();
      Claim r = replacements.get(i);
      cluster.ready("replacement-" + i, r);
      service.run("tick-" + (i + 2));
    }

    List<Command> sent = cluster.sent();
    assertThat(sent).filteredOn(c -> c.kind() == Command.Kind.Nominate).extracting(Command::node)
        .containsExactlyInAnyOrder("replacement-0", "replacement-1", "replacement-2");
    assertThat(sent.getLast()).satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.node()).isEqualTo("oversized");
      assertThat(c.reason()).contains("replaced by claims").contains(pass.replacementClaims());
    });
  }

  @Test
  void aReplaceWhoseReplacementsRoomWasTakenMeanwhileIsAbandoned() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim replacement = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();

    // a pod pending meanwhile: the cluster's scheduler put it on the replacement's node the moment it was Ready
    Claim ready = cluster.ready("replacement", replacement);
    cluster.mirror("replacement", ready, List.of(running(cluster.filling("batch-1", ready.instanceType()))), false);
    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.abandoned()).containsExactly("oversized");
    assertThat(cluster.sent()).as("web-1 would land nowhere").noneMatch(c -> c.node().equals("oversized"));
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    assertThat(cluster.store.claim(replacement.id()).orElseThrow().replaces()).as("the replace is abandoned")
        .isEmpty();
  }

  @Test
  void aReadyReplaceDrainsInThePassSecondHalfAndWaitsWhilePodsPendingForNodesStillComingWouldTakeItsRoom() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim replacement = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();
    Claim ready = cluster.ready("replacement", replacement);

    ConsolidationService.Begun begun = service.begin("tick-2");

    assertThat(begun.waiting()).as("the drain is checked after the validation delay").isTrue();
    assertThat(begun.drained()).isEmpty();
    assertThat(cluster.sent()).as("nothing is opened or drained before the check").isEmpty();

    // meanwhile a scale-up: a pod that would fill the replacement goes pending and gets a node of its own, which
    // has not joined when the check runs. Opened now, the replacement would be its, and web-1 would need a launch
    PendingPod batch = cluster.filling("batch-1", ready.instanceType());
    assertThat(cluster.provisioner.provision("pending-1", List.of(batch)).launched()).hasSize(1);
    ConsolidationService.Pass second = service.finish(begun);

    assertThat(second.drained()).isEmpty();
    assertThat(second.abandoned()).as("the replace waits rather than gives up").isEmpty();
    assertThat(cluster.sent()).as("the replacement stays held").isEmpty();
    assertThat(cluster.store.claim(replacement.id()).orElseThrow().replaces()).containsExactly(oversized.id());

    // the pod's own node joins and runs it: the replace goes ahead
    cluster.joinRunning("batch-node", batch);
    ConsolidationService.Pass third = service.run("tick-3");

    assertThat(third.drained()).containsExactly("oversized");
    assertThat(cluster.sent()).extracting(Command::kind, Command::node).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Nominate, "replacement"),
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "oversized"));
  }

  /**
   * A pass with no command of its own waits for its second half too while a replace's replacements are joining: one
   * Ready by then drains its node in that pass, not a minute later (a replace whose node boots in about the minute
   * between passes took three passes, not two).
   */
  @Test
  void aPassWithNoCommandWaitsWhileAReplacementIsJoiningAndDrainsItsNodeOnceReady() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim replacement = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();
    assertThat(replacement.state()).isEqualTo(ClaimState.Launched);

    ConsolidationService.Begun begun = service.begin("tick-2");
    assertThat(begun.command()).isNull();
    assertThat(begun.waiting()).as("its replacement is joining").isTrue();
    cluster.ready("replacement", replacement);
    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.drained()).containsExactly("oversized");
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
    assertThat(service.begin("tick-3").waiting()).as("nothing left to wait for").isFalse();
  }

  @Test
  void aPassWithOnlyAJoiningReplaceToWaitForAndTooLittleTimeLeavesItsDrainToTheNextPass() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim replacement = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();

    ConsolidationService.Begun begun = service.begin("tick-2");
    assertThat(begun.command()).isNull();
    assertThat(begun.waiting()).as("its replacement is joining").isTrue();
    cluster.ready("replacement", replacement);
    ConsolidationService.Pass given = service.giveUp(begun, Duration.ofSeconds(20));

    assertThat(given.outcome()).contains("replaces waiting to drain not checked: 20 s left");
    assertThat(given.drained()).isEmpty();
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    // the lease ended: the next pass drains it
    assertThat(service.run("tick-3").drained()).containsExactly("oversized");
  }

  /**
   * A replacement that becomes Ready while a pass waits to check its command drains its node in that pass's second
   * half, and the command still starts: the pod the drain evicts goes to the replacement, whose taint the drain lifts
   * though the mirror shows it a few seconds longer. Before, the drain waited for the next pass, and a pass that
   * drained a replace started nothing, the evicted pod taking the room the command's pod needed.
   */
  @Test
  void aReplacementReadyDuringAPassWaitDrainsItsNodeThenAndThePassCommandStillStarts() {
    budget(10);
    long room = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge"))
        .get(dev.flotilla.model.Resources.CPU);
    // do-not-disrupt: it takes pods and is not consolidated itself
    Claim spare = cluster.node("spare", "m7i.xlarge", List.of());
    cluster.mirror("spare", spare, List.of(running(pod("db-1", room - 1200, 1024))), true);
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 2000, 1024))));
    ConsolidationService.Pass first = service.run("tick-1");
    assertThat(first.plan().action()).isEqualTo(Action.REPLACE);
    Claim replacement = cluster.store.claim(first.replacementClaims().getFirst()).orElseThrow();
    // then room frees up on spare: enough for web-1, or for api-1, not for both
    cluster.mirror("spare", spare, List.of(running(pod("db-1", room - 2500, 1024))), true);
    cluster.node("small", "m7i.large", List.of(running(pod("api-1", 600, 256))));

    ConsolidationService.Begun begun = service.begin("tick-2");
    assertThat(begun.command()).isNotNull();
    assertThat(begun.command().plan().nodes()).extracting(c -> c.state().node()).containsExactly("small");
    // Ready during the wait, still carrying the taint it keeps until oversized drains
    Claim ready = cluster.ready("replacement", replacement);
    cluster.mirror("replacement", ready, List.of(), false, List.of(dev.flotilla.binding.StartupTaint.INITIALIZING));
    ConsolidationService.Pass second = service.finish(begun);

    assertThat(second.drained()).containsExactly("oversized", "small");
    assertThat(second.started()).isTrue();
    assertThat(cluster.sent()).extracting(Command::kind, Command::node).startsWith(
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Nominate, "replacement"),
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "oversized"));
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
  }

  @Test
  void aReplaceWhoseReplacementTheMirrorHasNotShownGoesAheadAloneNotWithTheOthersReadyInThePass() {
    budget(10);
    Resources room = NodeCapacity.allocatable(cluster.catalog.type("m7i.large"));
    long cpu = room.get(Resources.CPU) - 500;
    long memory = room.get(Resources.MEMORY) / NodeCapacity.MIB - 512;
    Claim taken = cluster.node("a-old", "m7i.large", List.of(running(pod("web-1", cpu, memory))));
    Claim late = cluster.node("b-old", "m7i.large", List.of(running(pod("web-2", cpu, memory))));
    // a's replacement is Ready and a pod pending meanwhile took its room; b's is Ready, but the mirror has not shown
    // its node for longer than the grace, so b goes ahead unchecked, as a replace alone always did
    Claim ra = cluster.node("a-new", "m7i.large", List.of(running(cluster.filling("batch-1", "m7i.large"))));
    Claim rb = cluster.node("b-new", "m7i.large", List.of());
    for (Claim[] pair : new Claim[][] {{ra, taken}, {rb, late}}) {
      Claim r = cluster.store.claim(pair[0].id()).orElseThrow();
      cluster.store.transition(r, r.replacing(List.of(pair[1].id())).annotated(java.util.Map.of(
          Claim.Annotations.REPLACING_FOR, DisruptionReason.Underutilized.name())));
    }
    cluster.store.deleteNodeState("b-new");
    cluster.clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.drained()).as("a's pods were checked, and land nowhere").containsExactly("b-old");
    assertThat(pass.abandoned()).containsExactly("a-old");
  }

  @Test
  void aReplacementInFlightKeepsItsRoomForThePodsItReplaces() {
    cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim replacement = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();
    assertThat(replacement.annotations()).containsEntry(Claim.Annotations.REPLACING_FOR, "Underutilized");

    // a pod that would fit the replacement goes pending while it boots: it gets a node of its own
    var decision = cluster.provisioner.provision("pending-1", List.of(pod("batch-1", 500, 512)));

    assertThat(decision.addedToInFlight()).isEmpty();
    assertThat(decision.launched()).hasSize(1);
  }

  @Test
  void aRebalanceReplaceIsNotCheckedAsAConsolidationIs() {
    Claim flagged = cluster.node("flagged", "m7i.xlarge", List.of(running(pod("web-1", 1000, 1024))));
    // as the interruption function replaces a node on a rebalance recommendation: the node must go regardless
    Claim replacement = cluster.provisioner.replaceOnce("rebalance-1", List.of(pod("web-1", 1000, 1024)),
        List.of(flagged.id())).launched().getFirst();
    Claim ready = cluster.ready("replacement", replacement);
    cluster.mirror("replacement", ready, List.of(running(cluster.filling("batch-1", ready.instanceType()))), false);

    assertThat(service.run("tick-1").drained()).containsExactly("flagged");
  }

  @Test
  void aPartOfAReplaceThatGetsNoCapacityIsAbandonedAtOnceAndTheOthersGoOn() {
    budget(3);
    // each shard held to a zone of its own, so that each replacement is bought in its own zone
    List<Claim> nodes = new java.util.ArrayList<>();
    for (String zone : List.of("a", "b", "c")) {
      NodeState.NodePod shard = shard(nodes.size(), 1000);
      nodes.add(cluster.node(zone, "m7i.4xlarge", List.of(running(shard.pod().toBuilder().nodeSelector(
          java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, "us-east-1" + zone)).build()))));
    }
    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).as(begun.waiting() ? "" : begun.pass().outcome()).isTrue();
    // while the command waits, EC2 runs out of every type the first replacement may be in its zone
    dev.flotilla.scheduling.NodeClaim first = begun.command().plan().replacements().getFirst();
    first.instanceTypes().forEach(t -> cluster.cloud.exhaust(
        new dev.flotilla.catalog.Offering.Key(t.name(), first.zone(), first.capacityType())));
    String lostNode = begun.command().plan().nodes().stream()
        .filter(c -> c.state().displaced().stream().anyMatch(p -> first.pods().contains(p.name())))
        .findFirst().orElseThrow().claim().id();

    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).as(pass.outcome()).isTrue();
    assertThat(pass.disruptions()).extracting(ConsolidationService.Disrupted::claimId).hasSize(2)
        .doesNotContain(lostNode);
    // no live claim names the node whose replacement got no capacity: it is neither on its way out nor held back
    assertThat(cluster.store.claims()).filteredOn(c -> c.state().live())
        .noneMatch(c -> c.replaces().contains(lostNode));
    assertThat(cluster.store.claims()).filteredOn(c -> c.state().live() && !c.replaces().isEmpty())
        .hasSize(2).allSatisfy(c -> assertThat(nodes.stream().map(Claim::id)).containsAll(c.replaces()));
  }

  @Test
  void replacementsOfAReplaceThatLostOneAtLaunchAreWithdrawnBeforeTheirNodesJoin() {
    // one node split over three zones: the replacement of one zone gets no capacity when the command launches
    Claim oversized = cluster.node("oversized", "m7i.8xlarge", spreadOverZones());
    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).as(begun.waiting() ? "" : begun.pass().outcome()).isTrue();
    assertThat(begun.command().plan().replacements()).hasSize(3);
    dev.flotilla.scheduling.NodeClaim first = begun.command().plan().replacements().getFirst();
    first.instanceTypes().forEach(t -> cluster.cloud.exhaust(
        new dev.flotilla.catalog.Offering.Key(t.name(), first.zone(), first.capacityType())));

    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).as(pass.outcome()).isFalse();
    assertThat(pass.abandoned()).containsExactly("oversized");
    assertThat(pass.replacementClaims()).isEmpty();
    List<Claim> launched = cluster.store.claims().stream().filter(c -> c.replaces().contains(oversized.id())
        && c.instanceId() != null).toList();
    assertThat(launched).as("the two that got capacity").hasSize(2);
    // the node stays, so the two launched in its place would hold its pool past what the plan counted: closed, and
    // their instances terminated before their nodes join
    assertThat(launched).allSatisfy(c -> {
      assertThat(c.state()).isEqualTo(ClaimState.Terminated);
      assertThat(cluster.cloud.instance(c.instanceId()).state()).isEqualTo("terminated");
    });
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    assertThat(cluster.store.claims()).filteredOn(c -> c.state().live()).extracting(Claim::id)
        .containsExactly(oversized.id());
  }

  @Test
  void aReplaceInPartsReportsTheSavingOfThePartsItStartedOnly() {
    budget(10);
    // two nodes far too large for a pod each, one in us-east-1a and one in us-east-1b, each pod held to its zone:
    // replaced together, in two parts, and the part in us-east-1a gets no capacity
    List<Claim> oversized = new ArrayList<>();
    for (String zone : List.of("us-east-1a", "us-east-1b")) {
      PendingPod held = pod("web-" + zone, 1000, 1024).toBuilder()
          .nodeSelector(java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, zone)).build();
      oversized.add(cluster.node("oversized-" + zone, "m7i.4xlarge", CapacityType.ON_DEMAND, "default", zone,
          List.of(running(held))));
    }
    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).as(begun.waiting() ? "" : begun.pass().outcome()).isTrue();
    ConsolidationPlan found = begun.command().plan();
    assertThat(found.replacements()).extracting(dev.flotilla.scheduling.NodeClaim::zone)
        .containsExactlyInAnyOrder("us-east-1a", "us-east-1b");
    dev.flotilla.scheduling.NodeClaim lost = found.replacements().stream()
        .filter(r -> r.zone().equals("us-east-1a")).findFirst().orElseThrow();
    dev.flotilla.scheduling.NodeClaim kept = found.replacements().stream()
        .filter(r -> r.zone().equals("us-east-1b")).findFirst().orElseThrow();
    lost.instanceTypes().forEach(t -> cluster.cloud.exhaust(
        new dev.flotilla.catalog.Offering.Key(t.name(), lost.zone(), lost.capacityType())));

    ConsolidationService.Pass pass = service.finish(begun);

    assertThat(pass.started()).as(pass.outcome()).isTrue();
    assertThat(pass.abandoned()).containsExactly("oversized-us-east-1a");
    assertThat(pass.plan().nodes()).extracting(c -> c.state().node()).containsExactly("oversized-us-east-1b");
    assertThat(pass.plan().replacements()).singleElement().satisfies(r -> assertThat(r.zone()).isEqualTo("us-east-1b"));
    assertThat(pass.replacementClaims()).hasSize(1);
    Claim launched = cluster.store.claim(pass.replacementClaims().getFirst()).orElseThrow();
    assertThat(pass.plan().savingPerHour()).as("what the part under way saves, not the whole plan's "
        + found.savingPerHour()).isCloseTo(oversized.get(1).pricePerHour() - kept.pricePerHour(),
        org.assertj.core.data.Offset.offset(1e-6)).isLessThan(found.savingPerHour());
    assertThat(launched.replaces()).containsExactly(oversized.get(1).id());
  }

  @Test
  void aPartLaunchedAloneStillSavesWhateverTypeEc2FindsForIt() {
    budget(10);
    // a node far too large for its pod beside one only a little too large, each pod held to its zone: replaced
    // together in two parts, the first saving much and the second little
    PendingPod bigPod = pod("web-a", 1000, 1024).toBuilder()
        .nodeSelector(java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, "us-east-1a")).build();
    PendingPod smallPod = pod("web-b", 1000, 1024).toBuilder()
        .nodeSelector(java.util.Map.of(dev.flotilla.model.WellKnownLabels.ZONE, "us-east-1b")).build();
    cluster.node("oversized", "m7i.8xlarge", CapacityType.ON_DEMAND, "default", "us-east-1a",
        List.of(running(bigPod)));
    Claim little = cluster.node("little", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1b",
        List.of(running(smallPod)));
    ConsolidationService.Begun begun = service.begin("tick-1");
    assertThat(begun.waiting()).as(begun.waiting() ? "" : begun.pass().outcome()).isTrue();
    ConsolidationPlan found = begun.command().plan();
    dev.flotilla.scheduling.NodeClaim lost = found.replacements().stream()
        .filter(r -> r.zone().equals("us-east-1a")).findFirst().orElseThrow();
    dev.flotilla.scheduling.NodeClaim kept = found.replacements().stream()
        .filter(r -> r.zone().equals("us-east-1b")).findFirst().orElseThrow();
    // the second part's types, bounded by the whole replace's saving, include some as dear as its node
    assertThat(kept.instanceTypes()).anyMatch(t -> t.pricePerHour() >= little.pricePerHour());
    // while the command waits, EC2 runs out of the first part's types, and of the second's cheaper than its node
    lost.instanceTypes().forEach(t -> cluster.cloud.exhaust(
        new dev.flotilla.catalog.Offering.Key(t.name(), lost.zone(), lost.capacityType())));
    kept.instanceTypes().stream().filter(t -> t.pricePerHour() < little.pricePerHour()).forEach(t ->
        cluster.cloud.exhaust(new dev.flotilla.catalog.Offering.Key(t.name(), kept.zone(), kept.capacityType())));

    ConsolidationService.Pass pass = service.finish(begun);

    // the second part alone may not launch on a type as dear as the node it replaces, whatever the first part's
    // saving: launched without the first, it would save nothing. Every type under its own bound is out of capacity,
    // so it is given up with the first, and both nodes stay
    assertThat(pass.abandoned()).as(pass.outcome()).containsExactlyInAnyOrder("oversized", "little");
    assertThat(pass.replacementClaims()).isEmpty();
    assertThat(cluster.store.claims()).filteredOn(c -> c.state().live())
        .noneMatch(c -> c.replaces().contains(little.id()));
  }

  @Test
  void aReplacementLeftUnjoinedBesideOneThatFailedIsWithdrawnByTheNextPass() {
    // as if the pass that launched them died before withdrawing: one replacement closed, the others still booting
    cluster.node("oversized", "m7i.8xlarge", spreadOverZones());
    List<Claim> replacements = service.run("tick-1").replacementClaims().stream()
        .map(id -> cluster.store.claim(id).orElseThrow()).toList();
    assertThat(replacements).hasSize(3).allSatisfy(c -> assertThat(c.state()).isEqualTo(ClaimState.Launched));
    cluster.store.transition(replacements.getFirst(), replacements.getFirst().moved(ClaimState.Terminated,
        cluster.clock.instant()));
    cluster.clock.advance(Duration.ofMinutes(1));

    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.abandoned()).containsExactly("oversized");
    for (Claim r : replacements.subList(1, 3)) {
      assertThat(cluster.store.claim(r.id()).orElseThrow().state()).isEqualTo(ClaimState.Terminated);
      assertThat(cluster.cloud.instance(r.instanceId()).state()).isEqualTo("terminated");
    }
  }

  @Test
  void aReplaceAfterOneWhoseLaunchFailedDrainsTheNodeOnceItsReplacementIsReady() {
    Claim oversized = cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim failed = cluster.store.claim(service.run("tick-1").replacementClaims().getFirst()).orElseThrow();
    // no capacity: the first attempt's claim is closed, still naming the node it was to replace
    cluster.store.transition(failed, failed.moved(ClaimState.Terminated, cluster.clock.instant()));
    cluster.clock.advance(Duration.ofMinutes(1));
    ConsolidationService.Pass again = service.run("tick-2");
    assertThat(again.replacementClaims()).as("the node is replaced again").hasSize(1);

    cluster.ready("replacement", cluster.store.claim(again.replacementClaims().getFirst()).orElseThrow());
    cluster.clock.advance(Duration.ofMinutes(1));

    assertThat(service.run("tick-3").drained()).containsExactly("oversized");
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Draining);
  }

  @Test
  void aReplaceThatLostOneOfItsReplacementsNeverDrainsTheNode() {
    Claim oversized = cluster.node("oversized", "m7i.8xlarge", spreadOverZones());
    List<Claim> replacements = service.run("tick-1").replacementClaims().stream()
        .map(id -> cluster.store.claim(id).orElseThrow()).toList();
    assertThat(replacements).hasSize(3);

    // one replacement's instance never joins and its claim is closed; the other two become ready
    cluster.store.transition(replacements.getFirst(), replacements.getFirst().moved(ClaimState.Terminated,
        cluster.clock.instant()));
    for (int i = 1; i < replacements.size(); i++) {
      cluster.lifecycle.ready(new NodeEvent(RunningCluster.CLUSTER, "replacement-" + i,
          replacements.get(i).instanceId()));
    }
    ConsolidationService.Pass pass = service.run("tick-2");

    // the replacements that came up lose their startup taint: nothing is left to hold it for
    assertThat(cluster.sent()).as("the node's pods would have one node too few").allSatisfy(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Nominate);
      assertThat(c.node()).isIn("replacement-1", "replacement-2");
    }).hasSize(2);
    assertThat(cluster.store.claim(oversized.id()).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
    // abandoned: the replacements that came up no longer name it, so it is neither on its way out nor held back
    assertThat(pass.abandoned()).containsExactly("oversized");
    for (int i = 1; i < replacements.size(); i++) {
      assertThat(cluster.store.claim(replacements.get(i).id()).orElseThrow().replaces()).isEmpty();
    }
  }

  /** A pod of a sharded store: one to a node (hostname anti-affinity). */
  private static NodeState.NodePod shard(int i, long cpuMillis) {
    return running(RunningCluster.shard(i, cpuMillis, 1024));
  }

  private void budget(int nodes) {
    NodePool base = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(new NodePool.Budget(nodes, false, List.of())), false)));
  }

  @Test
  void nodesEachReplaceableByACheaperOneAreReplacedTogetherAndEachDrainsWithItsOwnReplacement() {
    budget(3);
    // three oversized nodes whose shards may not share a node: no group fits one node, each alone shrinks
    List<Claim> nodes = List.of(cluster.node("a", "m7i.4xlarge", List.of(shard(1, 1000))),
        cluster.node("b", "m7i.4xlarge", List.of(shard(2, 1000))),
        cluster.node("c", "m7i.4xlarge", List.of(shard(3, 1000))));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.REPLACE);
    assertThat(pass.plan().claimIds()).containsExactlyInAnyOrderElementsOf(nodes.stream().map(Claim::id).toList());
    assertThat(pass.plan().reason()).startsWith("3 nodes, each replaceable by a cheaper one, replaced together");
    assertThat(pass.replacementClaims()).hasSize(3);
    List<Claim> replacements = pass.replacementClaims().stream()
        .map(id -> cluster.store.claim(id).orElseThrow()).toList();
    // in parts: each replacement names the one node whose shard it takes
    assertThat(replacements).allSatisfy(r -> assertThat(r.replaces()).hasSize(1));
    assertThat(replacements.stream().flatMap(r -> r.replaces().stream()))
        .containsExactlyInAnyOrderElementsOf(nodes.stream().map(Claim::id).toList());
    assertThat(replacements.stream().mapToDouble(Claim::pricePerHour).sum())
        .isLessThan(nodes.stream().mapToDouble(Claim::pricePerHour).sum());

    // one replacement never comes up: its node stays, the other two drain once theirs are ready
    Claim lost = replacements.getFirst();
    cluster.store.transition(lost, lost.moved(ClaimState.Terminated, cluster.clock.instant()));
    cluster.ready("replacement-1", replacements.get(1));
    cluster.ready("replacement-2", replacements.get(2));
    service.run("tick-2");

    String kept = lost.replaces().getFirst();
    assertThat(cluster.sent()).filteredOn(c -> c.kind() == Command.Kind.Drain).extracting(Command::node).hasSize(2)
        .doesNotContain(
        nodes.stream().filter(n -> n.id().equals(kept)).findFirst().orElseThrow().nodeName());
    assertThat(cluster.store.claim(kept).orElseThrow().state()).isEqualTo(ClaimState.Initialized);
  }

  @Test
  void aGroupOfNodesOneCheaperNodeCanRunIsReplacedTogether() {
    // a budget that lets three nodes go at once (the default 10% of three would allow one)
    budget(3);
    // each node is already the cheapest that fits its pod: no single node can go or shrink
    String cheapest = cheapestFor(pod("sample", 2500, 2048));
    List<Claim> nodes = threeWebNodes(cheapest);

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.MULTI_NODE);
    assertThat(pass.plan().claimIds()).containsExactlyInAnyOrderElementsOf(nodes.stream().map(Claim::id).toList());
    assertThat(pass.plan().replacements()).hasSize(1);
    assertThat(pass.plan().savingPerHour()).isPositive();
    assertThat(pass.replacementClaims()).hasSize(1);
    assertThat(cluster.store.claim(pass.replacementClaims().getFirst()).orElseThrow().replaces())
        .containsExactlyInAnyOrderElementsOf(nodes.stream().map(Claim::id).toList());
  }

  @Test
  void aGroupSearchThatStartsWithNodesWhosePodsNeedNodesOfTheirOwnStillFindsTheNodesOneNodeCanReplace() {
    groupSearchFindsTheWebNodesBehind(6, 10);
  }

  /**
   * As above behind 40 shards, a group of 43: the whole group needs 41 new nodes, which steps the search down to the
   * three. It is refused by its shards' floor (40) without its scheduling, the dearest try in a large cluster, and the
   * step counts one node more for the web pods beside them: by the floor alone the search went to four nodes, then
   * two, and found no group at all.
   */
  @Test
  void aGroupOfFortyShardsBesideTheThreeStillLeadsTheSearchToThem() {
    groupSearchFindsTheWebNodesBehind(40, 50);
  }

  /** Three web nodes one cheaper node replaces, then {@code shards} shard nodes; the pool's budget {@code nodes}. */
  private void groupSearchFindsTheWebNodesBehind(int shards, int nodes) {
    budget(nodes);
    String cheapest = cheapestFor(pod("sample", 2500, 2048));
    // least used first: three nodes whose pods one cheaper node holds together
    List<Claim> webs = threeWebNodes(cheapest);
    // then the shards, each on a node of its own, that no two may share: a group holding several needs several new
    // nodes, which a group may not have
    String shardType = cheapestFor(shard(0, 3500).pod());
    for (int i = 0; i < shards; i++) {
      cluster.node("shard-" + i, shardType, List.of(shard(i, 3500)));
    }

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.plan().action()).isEqualTo(Action.MULTI_NODE);
    assertThat(pass.plan().claimIds()).containsExactlyInAnyOrderElementsOf(webs.stream().map(Claim::id).toList());
    assertThat(pass.plan().replacements()).hasSize(1);
  }

  /** Nodes a, b and c of {@code type}, each running one web pod of 2.5 CPU and 2 GiB. */
  private List<Claim> threeWebNodes(String type) {
    return List.of(
        cluster.node("a", type, List.of(running(pod("web-1", 2500, 2048)))),
        cluster.node("b", type, List.of(running(pod("web-2", 2500, 2048)))),
        cluster.node("c", type, List.of(running(pod("web-3", 2500, 2048)))));
  }

  /** The instance type the scheduler would launch for {@code pod} alone. */
  private String cheapestFor(PendingPod pod) {
    return new Scheduler().schedule(new SchedulingInput(List.of(pod), cluster.pools, cluster.catalog))
        .nodeClaims().getFirst().instanceTypes().getFirst().name();
  }

  @Test
  void aPodDisruptionBudgetWithNoHeadroomHoldsTheNodeUntilItChanges() {
    Claim small = cluster.node("small", "m7i.xlarge",
        List.of(new NodeState.NodePod(pod("db-1", 500, 512), 0)));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));

    ConsolidationPlan held = new Consolidator().plan(cluster.view());
    assertThat(held.claimIds()).doesNotContain(small.id());
    assertThat(held.skipped()).anyMatch(s -> s.startsWith("small: ")
        && s.contains("PodDisruptionBudget that allows no disruption"));

    // the budget allows one disruption again
    cluster.mirror("small", small, List.of(new NodeState.NodePod(pod("db-1", 500, 512), 1)), false);
    assertThat(new Consolidator().plan(cluster.view()).claimIds()).contains(small.id());
  }

  @Test
  void doNotDisruptOnAPodOrTheNodeHoldsIt() {
    PendingPod pinned = PendingPod.builder("shop/batch-1").ownerKind("Job").doNotDisrupt(true)
        .requests(dev.flotilla.model.Resources.of(500, 512L << 20)).build();
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pinned)));
    Claim big = cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024))));
    cluster.mirror("big", big, List.of(running(pod("web-2", 1000, 1024))), true);

    ConsolidationPlan plan = new Consolidator().plan(cluster.view());

    assertThat(plan.action()).isEqualTo(Action.NONE);
    assertThat(plan.skipped()).anyMatch(s -> s.equals("small: pod shop/batch-1 is marked do-not-disrupt"))
        .anyMatch(s -> s.equals("big: node is marked do-not-disrupt"));
    assertThat(small.state()).isEqualTo(ClaimState.Initialized);
  }

  @Test
  void aPodWithoutAControllerHoldsItsNode() {
    PendingPod bare = PendingPod.builder("shop/debug").requests(dev.flotilla.model.Resources.of(100, 64L << 20))
        .build();
    cluster.node("small", "m7i.xlarge", List.of(running(bare)));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024))));

    ConsolidationPlan plan = new Consolidator().plan(cluster.view());

    assertThat(plan.claimIds()).doesNotContain("claim-small");
    assertThat(plan.skipped()).anyMatch(s -> s.contains("has no controller"));
  }

  @Test
  void theDisruptionBudgetLimitsHowManyNodesGoAtOnce() {
    // ten empty nodes: the default budget, 10% of the pool, lets one go at a time
    for (int i = 0; i < 10; i++) {
      cluster.node("idle-" + i, "m7i.large", List.of(daemon("aws-node-" + i)));
    }
    ConsolidationService.Pass first = service.run("tick-1");
    assertThat(first.plan().action()).isEqualTo(Action.DELETE_EMPTY);
    assertThat(first.plan().nodes()).hasSize(1);

    // while that one drains, the budget is used up
    ConsolidationService.Pass second = service.run("tick-2");
    assertThat(second.plan().action()).isEqualTo(Action.NONE);
    assertThat(second.plan().skipped()).allMatch(s -> s.contains("disruption budget is used up"));
  }

  @Test
  void consolidateAfterAndTheWhenEmptyPolicyAreHonoured() {
    cluster.pools.set(0, pool(NodePool.ConsolidationPolicy.WhenEmpty, Duration.ofMinutes(10)));
    cluster.node("oversized", "m7i.4xlarge", List.of(running(pod("web-1", 1000, 1024))));
    Claim idle = cluster.node("idle", "m7i.large", List.of(daemon("aws-node-a")));

    ConsolidationPlan early = new Consolidator().plan(cluster.view());
    assertThat(early.action()).isEqualTo(Action.NONE);
    assertThat(early.skipped()).anyMatch(s -> s.equals("idle: consolidateAfter 600s has not passed"));

    cluster.clock.advance(Duration.ofMinutes(11));
    ConsolidationPlan later = new Consolidator().plan(cluster.view());
    // WhenEmpty: the empty node goes; the oversized one is left though a cheaper node could run its pod
    assertThat(later.action()).isEqualTo(Action.DELETE_EMPTY);
    assertThat(later.claimIds()).containsExactly(idle.id());
    cluster.store.claims().stream().filter(c -> c.id().equals(idle.id())).findFirst()
        .ifPresent(c -> cluster.store.transition(c, c.moved(ClaimState.Terminated, cluster.clock.instant())));
    cluster.store.deleteNodeState("idle");
    assertThat(new Consolidator().plan(cluster.view()).action()).isEqualTo(Action.NONE);
  }

  private static NodePool pool(NodePool.ConsolidationPolicy policy, Duration after) {
    NodePool base = NodePool.defaultPool();
    return new NodePool(base.name(), base.requirements(), base.labels(), base.taints(), base.startupTaints(),
        base.limits(), base.weight(), new NodePool.Disruption(policy, after, List.of(), false));
  }
}
