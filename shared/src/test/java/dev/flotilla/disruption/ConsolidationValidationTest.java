package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.claims.PodKind;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The check of an action against the cluster's scheduler, with what else is leaving the cluster at the time. */
class ConsolidationValidationTest {

  private final RunningCluster cluster = new RunningCluster();
  /** The pods the forwarder last saw pending, mirrored now; null for no document. */
  private List<PendingPod> pending;
  /** When the forwarder that wrote the document had listed the pods: when the cluster started. */
  private java.time.Instant listedAt = cluster.clock.instant();
  /** When the document was written; now when null. */
  private java.time.Instant writtenAt;
  private int leftOut;

  @Test
  void thePodsOfANodeAlreadyDrainingTakeTheRoomLeftBeforeAnActionsPodsDo() {
    PendingPod evicted = pod("api-1", 1200, 1024);
    PendingPod displaced = pod("api-2", 1200, 1024);
    Claim replaced = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(evicted)));
    cluster.store.transition(replaced, replaced.moved(ClaimState.Draining, cluster.clock.instant()));
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(displaced)));

    ConsolidationValidation validation = new ConsolidationValidation(view(), Map.of("default",
        NodePool.defaultPool()));

    NodeState candidateState = view().nodes().stream().filter(n -> n.node().equals("ip-10-0-1-3")).findFirst()
        .orElseThrow();
    assertThat(validation.stranded(List.of(new ConsolidationPlan.Candidate(candidateState,
        cluster.store.claim(candidate.id()).orElseThrow())), List.of())).containsExactly("shop/api-2");
  }

  @Test
  void anActionWhosePodsFitBesideTheDrainingNodesPodsLands() {
    Claim replaced = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(pod("api-1", 600, 1024))));
    cluster.store.transition(replaced, replaced.moved(ClaimState.Draining, cluster.clock.instant()));
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 600, 1024))));

    ConsolidationValidation validation = new ConsolidationValidation(view(), Map.of("default",
        NodePool.defaultPool()));

    NodeState candidateState = view().nodes().stream().filter(n -> n.node().equals("ip-10-0-1-3")).findFirst()
        .orElseThrow();
    assertThat(validation.lands(List.of(new ConsolidationPlan.Candidate(candidateState,
        cluster.store.claim(candidate.id()).orElseThrow())), List.of())).isTrue();
  }

  /**
   * The evicted pod's only room is on the node the action removes: the displaced pod lands, and the evicted one,
   * which would have landed without the action, is left pending by it. The storm scenario drained a second replace
   * on such a check and launched for the web pods that then found no room.
   */
  @Test
  void aPodAlreadyEvictedThatTheActionLeavesWithoutRoomIsStrandedByIt() {
    assertThat(strandedBesideADrainingPodShortOf(400)).containsExactly("shop/cache-1");
  }

  @Test
  void aPodAlreadyEvictedThatFitsNowhereAnywayIsNotTheActionsToStrand() {
    assertThat(strandedBesideADrainingPodShortOf(100)).isEmpty();
  }

  /**
   * A draining node's pod taking all of a node's CPU but {@code spare}; a node with 500m free; the candidate, running
   * a 300m pod.
   */
  private List<String> strandedBesideADrainingPodShortOf(long spare) {
    long room = allocatableCpu("m7i.large");
    Claim draining = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(pod("cache-1", room - spare, 1024))));
    cluster.store.transition(draining, draining.moved(ClaimState.Draining, cluster.clock.instant()));
    cluster.node("ip-10-0-1-2", "m7i.large", List.of(running(pod("api-1", room - 500, 256))));
    return stranded(cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("web-1", 300, 256)))));
  }

  /** A claim still Launching an m7i.large for {@code pod}, its pod reserved. */
  private void launching(String claimId, PendingPod pod) {
    cluster.store.create(Claim.launching(claimId, "default", List.of("m7i.large"), List.of("us-east-1a"),
        CapacityType.ON_DEMAND, List.of(pod.name()), pod.requests(), 0.1, cluster.clock.instant())
        .withKinds(PodKind.of(List.of(pod))));
  }

  private long allocatableCpu(String type) {
    return dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type(type)).get(dev.flotilla.model.Resources.CPU);
  }

  @Test
  void podsReservedOnANodeStillInFlightTakeTheSpareRoomBeforeAnActionsPodsDo() {
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));
    // pending in the cluster while their node boots: the cluster's scheduler gives them any room that frees up
    PendingPod waiting = pod("web-9", 1200, 1024);
    launching("claim-booting", waiting);

    assertThat(stranded(candidate)).containsExactly("shop/api-2");
  }

  /**
   * A claim left Launching by an invocation that died before CreateFleet, whose pod has since gone (deleted, or run
   * under another name after a drain): once the forwarder's document, written well after the claim, shows none of its
   * pods pending, its room is no one's.
   */
  @Test
  void aClaimStalledLaunchingWhosePodsNoneIsPendingHoldsNoRoom() {
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));
    PendingPod gone = pod("web-9", 1200, 1024);
    launching("claim-stalled", gone);

    cluster.clock.advance(ConsolidationValidation.STALLED.minusSeconds(30));
    pending = List.of();
    assertThat(stranded(candidate)).as("a launch not recorded yet").containsExactly("shop/api-2");

    cluster.clock.advance(java.time.Duration.ofSeconds(31));
    pending = List.of(gone);
    assertThat(stranded(candidate)).as("its pod still pending").containsExactly("shop/api-2");
    pending = null;
    assertThat(stranded(candidate)).as("no document: nothing known").containsExactly("shop/api-2");
    pending = List.of();
    assertThat(stranded(candidate)).isEmpty();

    leftOut = 1;
    assertThat(stranded(candidate)).as("pods left out of the document").containsExactly("shop/api-2");
    leftOut = 0;
    writtenAt = cluster.clock.instant().minusSeconds(31);
    assertThat(stranded(candidate)).as("a document written before the claim's launch was overdue")
        .containsExactly("shop/api-2");
    writtenAt = null;
    listedAt = cluster.clock.instant().minusSeconds(60);
    assertThat(stranded(candidate)).as("a forwarder that listed the pods just before").containsExactly("shop/api-2");
  }

  /**
   * A scale-up a moment before the check: its pods are pending, reserved by no claim yet, and ahead of the deleted
   * node's pod in the cluster's scheduler's queue. They take the one node's room first.
   */
  @Test
  void podsPendingUnreservedTakeTheSpareRoomBeforeAnActionsPodsDo() {
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));
    assertThat(stranded(candidate)).isEmpty();

    pending = List.of(pod("web-9", 1200, 1024));

    assertThat(stranded(candidate)).containsExactly("shop/api-2");
  }

  @Test
  void aPendingPodThatFitsNowhereAnywayTakesNoRoom() {
    cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));

    pending = List.of(pod("batch-1", allocatableCpu("m7i.large") + 100, 1024));

    assertThat(stranded(candidate)).as("an action is not refused for a pod it does not leave pending").isEmpty();
  }

  /**
   * The mirror of pending pods is written apart from the node mirror and the claims: a pod it still shows may since
   * run on a node the node mirror shows, or be reserved on a claim whose node is on its way. Counted twice, its room
   * would be taken twice.
   */
  @Test
  void aPendingPodAlreadyRunningOrReservedIsCountedOnce() {
    long room = allocatableCpu("m7i.large");
    PendingPod bound = pod("web-1", 300, 256);
    cluster.node("ip-10-0-1-2", "m7i.large", List.of(running(bound)));
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", room - 900, 256))));
    PendingPod reserved = pod("web-9", 500, 256);
    launching("claim-booting", reserved);
    // web-1 (300m) runs and web-9 (500m) waits for its claim's node and takes the room it finds first: 100m is left
    // beside the displaced pod
    assertThat(stranded(candidate)).isEmpty();

    pending = List.of(bound, reserved);

    assertThat(stranded(candidate)).isEmpty();
    pending = List.of(bound, reserved, pod("web-10", 200, 256));
    assertThat(stranded(candidate)).as("one more, truly pending, fills the room").containsExactly("shop/api-2");
  }

  /**
   * A plan is kept from pass to pass while nothing it read changed: the pods pending are among what it read. Kept
   * while a scale-up's pods took its room, the same refused command came back every pass.
   */
  @Test
  void aPlanIsSearchedForAgainWhenThePodsPendingChange() {
    cluster.consolidateAtOnce(5);
    Claim small = cluster.node("small", "m7i.xlarge", List.of(running(pod("web-1", 500, 512))));
    cluster.node("big", "m7i.xlarge", List.of(running(pod("web-2", 1000, 1024)), running(pod("web-3", 500, 512))));
    Consolidator consolidator = new Consolidator();

    ConsolidationPlan before = consolidator.plan(view());
    assertThat(before.action()).isEqualTo(ConsolidationPlan.Action.DELETE);
    assertThat(before.claimIds()).containsExactly(small.id());

    pending = List.of(pod("batch-1", allocatableCpu("m7i.xlarge") - 1700, 512));
    ConsolidationPlan after = consolidator.plan(view());
    assertThat(after.action() == ConsolidationPlan.Action.DELETE && after.claimIds().contains(small.id()))
        .as("%s", after).isFalse();
  }

  /**
   * A drain's evicted pod comes back under a new name, pending at once, while the node mirror still shows the one
   * evicted on the draining node: one pod, not two.
   */
  @Test
  void aPodMadeAgainForOneADrainEvictedIsCountedOnce() {
    long room = allocatableCpu("m7i.large");
    PendingPod evicted = pod("cache-1", 600, 256).toBuilder().labels(Map.of("app", "cache")).build();
    Claim draining = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(evicted)));
    cluster.store.transition(draining, draining.moved(ClaimState.Draining, cluster.clock.instant()));
    cluster.node("ip-10-0-1-2", "m7i.large", List.of(running(pod("api-1", room - 1000, 256))));
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("web-1", 300, 256))));
    assertThat(stranded(candidate)).isEmpty();

    pending = List.of(evicted.toBuilder().name("shop/cache-7").build());

    assertThat(stranded(candidate)).isEmpty();
    pending = List.of(evicted.toBuilder().name("shop/cache-7").build(),
        evicted.toBuilder().name("shop/cache-8").build());
    assertThat(stranded(candidate)).as("a second one is pending besides").isNotEmpty();
  }

  /**
   * A node whose Nominate has not come keeps its startup taint: the cluster's scheduler puts nothing on it but the
   * pods the Nominate is to bring there. Counted open, the check landed a deleted node's pods on such a node, and a
   * launch followed for them.
   */
  @Test
  void aNodeStillCarryingTheStartupTaintTakesOnlyThePodsToBeNominatedThere() {
    Claim initializing = readyWithPlanned("ip-10-0-1-2", pod("web-9", 600, 256));
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1000, 256))));
    // untainted, the node takes web-9 (nominated there) and api-2 beside it
    assertThat(stranded(candidate)).isEmpty();

    cluster.mirror("ip-10-0-1-2", initializing, List.of(), false,
        List.of(dev.flotilla.binding.StartupTaint.INITIALIZING));
    assertThat(stranded(candidate)).containsExactly("shop/api-2");
    // the cluster once what is settling has landed: the Nominate is sent again until the taint goes
    Consolidator.View view = view();
    NodeState state = view.nodes().stream().filter(n -> n.node().equals("ip-10-0-1-3")).findFirst().orElseThrow();
    assertThat(new ConsolidationValidation(view, Map.of("default", NodePool.defaultPool()), java.util.Set.of(), false)
        .lands(List.of(new ConsolidationPlan.Candidate(state, cluster.store.claim(candidate.id()).orElseThrow())),
            List.of())).isTrue();
    // a node whose taint the action lifts itself (its own replacement) takes them
    assertThat(stranded(candidate, java.util.Set.of(initializing.id()))).isEmpty();

    // a node with room for one of the two: web-9 keeps to the tainted node it is to be nominated to, and api-2 lands
    cluster.node("ip-10-0-1-4", "m7i.large", List.of(running(pod("db-1", allocatableCpu("m7i.large") - 1100, 256))));
    assertThat(stranded(candidate)).isEmpty();
  }

  /** An m7i.large node just Ready, the pod planned for it reserved and not bound yet. */
  private Claim readyWithPlanned(String node, PendingPod planned) {
    return cluster.readyWithPlanned(node, "m7i.large", List.of(running(planned)), List.of());
  }

  @Test
  void podsNominatedToANodeJustReadyKeepTheirRoomUntilTheGraceEnds() {
    readyWithPlanned("ip-10-0-1-2", pod("web-9", 1200, 1024));
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));

    assertThat(stranded(candidate)).containsExactly("shop/api-2");

    // past the grace the reservation holds nothing: the pod ran elsewhere, was planned again, or is gone
    cluster.clock.advance(dev.flotilla.provisioning.Provisioner.RESERVATION_GRACE.plusSeconds(1));
    assertThat(stranded(candidate)).isEmpty();
  }

  @Test
  void aReplacementHeldForItsOwnDrainTakesNoPodUntilItsTaintIsLifted() {
    // another replace's replacement, Ready and empty, waits with its startup taint for its old node to drain
    Claim old = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(pod("api-1", 1200, 1024))));
    Claim held = cluster.node("ip-10-0-1-2", "m7i.large", List.of());
    held = replacing(held, old);
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));

    assertThat(stranded(candidate)).as("its room is not free").containsExactly("shop/api-2");
    assertThat(stranded(candidate, java.util.Set.of(held.id()))).as("lifted by the same pass").isEmpty();
  }

  /**
   * A pass drains a replace's old node just after lifting its replacement's taint, and the mirror may show the taint a
   * few seconds longer. The command the same pass then checks counts the node open: the pods the drain evicts go
   * there. Counted as still tainted, the evicted pods took the room the command's pods needed, and no pass that
   * drained a replace started a command (hour-10k: a command every other minute after its scale-down). A node drained
   * some other way (an interruption's drain, expiry) lifts no taint, and its replacement stays closed to the check.
   */
  @Test
  void aReplacementThePassJustOpenedTakesTheEvictedPodsThoughTheMirrorStillShowsItsTaint() {
    Claim old = cluster.node("ip-10-0-1-1", "m7i.large", List.of(running(pod("api-1", 1200, 1024))));
    Claim replacement = cluster.node("ip-10-0-1-2", "m7i.xlarge", List.of());
    replacement = replacing(replacement, old);
    cluster.mirror("ip-10-0-1-2", replacement, List.of(), false,
        List.of(dev.flotilla.binding.StartupTaint.INITIALIZING));
    cluster.node("ip-10-0-1-4", "m7i.large", List.of());
    Claim candidate = cluster.node("ip-10-0-1-3", "m7i.large", List.of(running(pod("api-2", 1200, 1024))));
    cluster.store.transition(old, old.moved(ClaimState.Draining, cluster.clock.instant()));
    Consolidator.View view = view();
    Map<String, NodePool> pools = Map.of("default", NodePool.defaultPool());

    assertThat(new ConsolidationValidation(view, pools).stranded(removing(view, candidate), List.of()))
        .as("tainted: api-1, evicted, takes the empty node").containsExactly("shop/api-2");
    assertThat(new ConsolidationValidation(view, pools, java.util.Set.of(replacement.id()))
        .stranded(removing(view, candidate), List.of()))
        .as("opened by the pass: api-1 goes to the replacement, api-2 to the empty node").isEmpty();
  }

  /** {@code replacement} made a consolidation's replacement for {@code old}, held for its drain. */
  private Claim replacing(Claim replacement, Claim old) {
    return cluster.store.transition(replacement, replacement.replacing(List.of(old.id())).annotated(Map.of(
        Claim.Annotations.REPLACING_FOR, DisruptionReason.Underutilized.name())));
  }

  /**
   * Above 100 nodes the cluster's scheduler scores only some of the feasible nodes, starting where its last search
   * stopped. A check that inherited where an earlier one stopped could put a small pod on the one node a large pod
   * needs, and refuse an action a check made afresh accepts: a pass's search and the check before the command
   * starts must agree on the same cluster.
   */
  @Test
  void aCheckAnswersTheSameHoweverManyChecksRanBeforeIt() {
    long small = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.large"))
        .get(dev.flotilla.model.Resources.CPU);
    for (int i = 0; i < 119; i++) {
      cluster.node(String.format("node-%03d", i), "m7i.large", List.of(running(pod("full-" + i, small - 400, 256))));
    }
    long large = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge"))
        .get(dev.flotilla.model.Resources.CPU);
    // the only node with room for batch-1, and not for batch-1 beside web-1
    cluster.node("node-119", "m7i.xlarge", List.of(running(pod("filler", large - 3100, 256))));
    Claim candidate = cluster.node("node-x", "m7i.xlarge", List.of(running(pod("web-1", 200, 256)),
        running(pod("batch-1", 3000, 256))));
    Consolidator.View view = view();
    NodeState state = view.nodes().stream().filter(n -> n.node().equals("node-x")).findFirst().orElseThrow();
    List<ConsolidationPlan.Candidate> removing = List.of(new ConsolidationPlan.Candidate(state,
        cluster.store.claim(candidate.id()).orElseThrow()));
    ConsolidationValidation validation = new ConsolidationValidation(view, Map.of("default",
        NodePool.defaultPool()));

    List<String> first = validation.stranded(removing, List.of());
    List<String> again = validation.stranded(removing, List.of());

    assertThat(first).isEmpty();
    assertThat(again).isEqualTo(first);
  }

  /**
   * Checked as the cluster will be once what is settling has landed (a held replace deciding whether to wait), a pod
   * reserved on a node still booting runs there: it counts in its zone spread. Left out, zone us-east-1c, where it is
   * going, looked empty of the spread's pods, web-2 could go nowhere within maxSkew 1, and a drift replace that
   * should have waited for it drained at once (generated seed 148: 13 pods then needed a launch of their own).
   */
  @Test
  void aPodOnItsWayToANodeStillBootingCountsInItsZoneSpreadOnceSettled() {
    Map<String, String> labels = Map.of("app", "web");
    PendingPod web = PendingPod.builder("shop/web-0").labels(labels).ownerKind("ReplicaSet")
        .requests(dev.flotilla.model.Resources.of(1000, 1024L << 20))
        .spreads(List.of(new dev.flotilla.model.TopologySpread(dev.flotilla.model.WellKnownLabels.ZONE, 1, true,
            dev.flotilla.model.LabelSelector.of(labels)))).build();
    Claim candidate = cluster.node("a-1", "m7i.large", dev.flotilla.model.CapacityType.ON_DEMAND, "default",
        "us-east-1a", List.of(running(web.withName("shop/web-1")), running(web.withName("shop/web-2"))));
    cluster.node("a-2", "m7i.xlarge", dev.flotilla.model.CapacityType.ON_DEMAND, "default", "us-east-1a", List.of());
    cluster.node("b-1", "m7i.large", dev.flotilla.model.CapacityType.ON_DEMAND, "default", "us-east-1b",
        List.of(running(web.withName("shop/web-3")), running(pod("db-1", allocatableCpu("m7i.large") - 1500, 256))));
    cluster.node("c-1", "m7i.large", dev.flotilla.model.CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of(running(cluster.filling("db-2", "m7i.large"))));
    // web-4 pending, its own node launched in us-east-1c (the zone its spread leaves it) and still booting
    List<Claim> launched = cluster.provisioner.provision("pending-1", List.of(web.withName("shop/web-4")))
        .launched();
    assertThat(launched).singleElement().satisfies(c -> assertThat(c.zone()).isEqualTo("us-east-1c"));

    Consolidator.View view = view();
    List<ConsolidationPlan.Candidate> removed = removing(view, candidate);
    Map<String, NodePool> pools = Map.of("default", NodePool.defaultPool());

    assertThat(new ConsolidationValidation(view, pools, java.util.Set.of(), false).lands(removed, List.of()))
        .as("settled, web-4 runs in us-east-1c, and web-1 and web-2 both fit us-east-1a's other node").isTrue();
    assertThat(new ConsolidationValidation(view, pools, java.util.Set.of(), true).stranded(removed, List.of()))
        .as("now, web-4 is pending and takes that node's room first").isNotEmpty();
  }

  /**
   * A claim whose Registered event came late or was lost names no node, while the mirror already shows its
   * instance's: that node is counted once, as the node it is, not again as one still coming. Counted twice, its room
   * took both of api-1 and api-2, and a held replace would have waited for room that is not there.
   */
  @Test
  void aNodeTheMirrorShowsIsNotCountedAgainAsOneStillComing() {
    Claim candidate = cluster.node("a-1", "m7i.large", List.of(running(pod("api-1", 1200, 1024)),
        running(pod("api-2", 1200, 1024))));
    PendingPod reserved = pod("web-1", 100, 128);
    Claim claim = cluster.launched("claim-late", "m7i.large", dev.flotilla.model.CapacityType.ON_DEMAND, "default",
        "us-east-1a", List.of(running(reserved)));
    claim = cluster.store.transition(claim, claim.withKinds(dev.flotilla.claims.PodKind.of(List.of(reserved))));
    // the node has joined and the forwarder mirrors it, but the claim never heard: no node name
    cluster.mirror("late-1", claim, List.of(), false);
    assertThat(cluster.store.claim(claim.id()).orElseThrow().nodeName()).isNull();

    Consolidator.View view = view();
    List<ConsolidationPlan.Candidate> removed = removing(view, candidate);

    assertThat(new ConsolidationValidation(view, Map.of("default", NodePool.defaultPool()), java.util.Set.of(), false)
        .stranded(removed, List.of())).as("one m7i.large takes one of them").hasSize(1);
  }

  private List<String> stranded(Claim candidate) {
    return stranded(candidate, java.util.Set.of());
  }

  private List<String> stranded(Claim candidate, java.util.Set<String> opening) {
    Consolidator.View view = view();
    return new ConsolidationValidation(view, Map.of("default", NodePool.defaultPool()), opening, true)
        .stranded(removing(view, candidate), List.of());
  }

  /** The candidate's node, as the view has it, to remove. */
  private List<ConsolidationPlan.Candidate> removing(Consolidator.View view, Claim candidate) {
    NodeState state = view.nodes().stream().filter(n -> n.node().equals(candidate.nodeName())).findFirst()
        .orElseThrow();
    return List.of(new ConsolidationPlan.Candidate(state, cluster.store.claim(candidate.id()).orElseThrow()));
  }

  /**
   * A delete's zone-spread pod (maxSkew 2) lands beside two of its kind in us-east-1b, the node there the fullest, as a
   * bin-packing scheduler places it, and its other pod in what us-east-1a has left. While the deleted node, the only
   * one in us-east-1c, stays drained, us-east-1c counts none of the spread's pods, and the spread's pod may only go
   * to us-east-1a, into the room the other pod needs.
   */
  @Test
  void aPodThatWhileTheDrainedNodeStaysCanOnlyGoWhereAnotherWasCheckedInStrandsTheOther() {
    PendingPod first = web("web-9", 100, 128);
    PendingPod second = pod("batch-1", 400, 400);
    zoneNode("ip-10-0-1-1", "us-east-1a", 450, List.of(web("web-1", 100, 128)));
    zoneNode("ip-10-0-2-1", "us-east-1b", 150, List.of(web("web-2", 100, 128), web("web-3", 100, 128)));
    Claim candidate = cluster.node("ip-10-0-3-1", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of(running(first), running(second)));

    assertThat(strandedDeleting(candidate, dev.flotilla.binding.ScoringProfile.MostAllocated))
        .containsExactly("shop/batch-1");
  }

  /**
   * A zone-spread pod (maxSkew 1) with one of its kind in each zone staying is refused everywhere while the deleted
   * node, the only one in its zone, stays drained; it lands once the node is gone.
   */
  @Test
  void aPodThatLandsOnlyOnceTheDrainedNodeIsGoneLands() {
    PendingPod spread = web("web-9", 100, 128).toBuilder().spreads(List.of(new dev.flotilla.model.TopologySpread(
        dev.flotilla.model.WellKnownLabels.ZONE, 1, true, dev.flotilla.model.LabelSelector.of(Map.of("app",
            "web"))))).build();
    zoneNode("ip-10-0-1-1", "us-east-1a", 450, List.of(web("web-1", 100, 128)));
    zoneNode("ip-10-0-2-1", "us-east-1b", 450, List.of(web("web-2", 100, 128)));
    Claim candidate = cluster.node("ip-10-0-3-1", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of(running(spread)));

    assertThat(strandedDeleting(candidate, dev.flotilla.binding.ScoringProfile.LeastAllocated)).isEmpty();
  }

  /** A pod of a zone spread, maxSkew 2, that may not go. */
  private static PendingPod web(String name, long cpuMillis, long memoryMiB) {
    return pod(name, cpuMillis, memoryMiB).toBuilder().labels(Map.of("app", "web"))
        .spreads(List.of(new dev.flotilla.model.TopologySpread(dev.flotilla.model.WellKnownLabels.ZONE, 2, true,
            dev.flotilla.model.LabelSelector.of(Map.of("app", "web"))))).build();
  }

  /** An m7i.large in {@code zone} running {@code pods} and a filler that leaves {@code free} millicores and MiB. */
  private void zoneNode(String node, String zone, long free, List<PendingPod> pods) {
    dev.flotilla.model.Resources room = dev.flotilla.catalog.NodeCapacity.allocatable(
        cluster.catalog.type("m7i.large"));
    long cpu = room.get(dev.flotilla.model.Resources.CPU) - free;
    long mib = room.get(dev.flotilla.model.Resources.MEMORY) / dev.flotilla.catalog.NodeCapacity.MIB - free;
    for (PendingPod p : pods) {
      cpu -= p.requests().get(dev.flotilla.model.Resources.CPU);
      mib -= p.requests().get(dev.flotilla.model.Resources.MEMORY) / dev.flotilla.catalog.NodeCapacity.MIB;
    }
    List<NodeState.NodePod> running = new java.util.ArrayList<>(pods.stream().map(RunningCluster::running).toList());
    running.add(running(pod("filler-" + node, cpu, mib)));
    cluster.node(node, "m7i.large", CapacityType.ON_DEMAND, "default", zone, running);
  }

  /** What deleting the candidate's node strands, checked against a scheduler scoring as {@code scoring}. */
  private List<String> strandedDeleting(Claim candidate, dev.flotilla.binding.ScoringProfile scoring) {
    Consolidator.View base = view();
    Consolidator.View view = new Consolidator.View(base.nodes(), base.claims(), base.pools(), base.catalog(),
        base.now(), base.daemonSets(), base.pending(), scoring);
    NodeState state = view.nodes().stream().filter(n -> n.node().equals(candidate.nodeName())).findFirst()
        .orElseThrow();
    ConsolidationValidation validation = new ConsolidationValidation(view, Map.of("default", NodePool.defaultPool()));
    List<ConsolidationPlan.Candidate> removed = List.of(new ConsolidationPlan.Candidate(state,
        cluster.store.claim(candidate.id()).orElseThrow()));
    List<String> stranded = validation.stranded(removed, List.of());
    // the check leaves the cluster as it found it: asked again, it answers the same
    assertThat(validation.stranded(removed, List.of())).isEqualTo(stranded);
    return stranded;
  }

  private Consolidator.View view() {
    return new Consolidator.View(cluster.store.nodeStates().values().stream().map(NodeState::parse).toList(),
        cluster.store.claims(), cluster.pools, cluster.catalog, cluster.clock.instant(), List.of(),
        pending == null ? null : new dev.flotilla.contracts.PendingPods(writtenAt == null ? cluster.clock.instant()
            : writtenAt, listedAt, pending, leftOut));
  }
}
