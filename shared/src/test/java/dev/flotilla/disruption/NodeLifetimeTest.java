package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.cloud.NodeImages;
import dev.flotilla.cloud.NodeNetwork;
import dev.flotilla.commands.Command;
import dev.flotilla.contracts.NodeEvent;
import dev.flotilla.contracts.PendingPods;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.CronSchedule;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Drift, expiry, termination grace and repair over the consolidation pass, each with what must hold it back. */
class NodeLifetimeTest {

  private final RunningCluster cluster = new RunningCluster();
  private final Map<String, String> images = new HashMap<>(Map.of("amd64", "ami-1", "arm64", "ami-a"));
  private final ConsolidationService service = new ConsolidationService(cluster.store, cluster.commands,
      cluster.provisioner, cluster.offerings, () -> cluster.pools, List::of,
      arch -> java.util.Optional.ofNullable(images.get(arch)), cluster.clock);

  private static NodePool pool(NodePool base, Map<String, String> labels, List<NodePool.Budget> budgets,
      NodePool.Lifetime lifetime) {
    return new NodePool(base.name(), base.requirements(), labels, base.taints(), base.startupTaints(), base.limits(),
        base.weight(), new NodePool.Disruption(base.disruption().consolidationPolicy(), Duration.ZERO,
            budgets, false), lifetime);
  }

  /** Consolidation would swap these nodes for cheaper ones; only emptiness of it is wanted beside the lifetime. */
  @org.junit.jupiter.api.BeforeEach
  void whenEmptyOnly() {
    NodePool base = cluster.pools.getFirst();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmpty, Duration.ZERO, List.of(), false)));
  }

  /** A node launched by the provisioner's rules: its claim notes the pool's template hash and its image. */
  private Claim launchedNode(String node, String type, List<NodeState.NodePod> pods) {
    Claim claim = cluster.node(node, type, pods);
    return cluster.store.transition(claim, claim.annotated(Map.of(Claim.Annotations.NODEPOOL_HASH,
        cluster.pools.getFirst().templateHash(), Claim.Annotations.IMAGE, "ami-1")));
  }

  private void mirrorWithArch(String node, Claim claim, List<NodeState.NodePod> pods,
      List<NodeState.Condition> conditions) {
    Map<String, String> labels = Map.of(WellKnownLabels.INSTANCE_TYPE, claim.instanceType(),
        WellKnownLabels.ZONE, claim.zone(), WellKnownLabels.NODEPOOL, claim.nodePool(),
        WellKnownLabels.CLUSTER, RunningCluster.CLUSTER, WellKnownLabels.ARCH, "amd64");
    cluster.store.putNodeState(node, new NodeState(node, claim.instanceId(), labels, false,
        dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type(claim.instanceType())), List.of(), pods,
        conditions).toJson());
  }

  @Test
  void aNodeWhosePoolTemplateChangedIsReplacedFirstAndDrainedWhenTheReplacementIsReady() {
    List<NodeState.NodePod> pods = List.of(running(pod("web-1", 1000, 1024)));
    Claim old = launchedNode("old", "m7i.large", pods);
    ConsolidationService.Pass settled = service.run("tick-0");
    assertThat(settled.disruptions()).isEmpty();

    cluster.pools.set(0, pool(cluster.pools.getFirst(), Map.of("team", "blue"), List.of(), NodePool.Lifetime.DEFAULT));
    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Drifted);
      assertThat(d.node()).isEqualTo("old");
      assertThat(d.why()).contains("template changed");
      assertThat(d.allowedBy()).isEqualTo("nodes=10%");
      assertThat(d.replacements()).isEqualTo(1);
    });
    assertThat(cluster.sent()).as("nothing drains before the replacement is ready").isEmpty();
    Claim replacement = cluster.store.claims().stream().filter(c -> c.replaces().contains(old.id())).findFirst()
        .orElseThrow();
    assertThat(replacement.annotations()).containsEntry(Claim.Annotations.NODEPOOL_HASH,
        cluster.pools.getFirst().templateHash());

    cluster.ready("new", replacement);
    assertThat(cluster.nominations.receive(10, Duration.ZERO)).as("Ready, the replacement keeps its startup taint")
        .extracting(r -> Command.parse(r.body()).node()).doesNotContain("new");
    service.run("tick-2");
    assertThat(cluster.sent()).as("the taint goes just before the drain").extracting(Command::kind, Command::node)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Command.Kind.Nominate, "new"),
            org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "old"));
    assertThat(cluster.store.claim(old.id()).orElseThrow().annotations())
        .containsEntry(Claim.Annotations.DISRUPTION_REASON, "Drifted");
  }

  /** Drifts the one node of {@code pods} by a template change; its replacement's claim, launched and not Ready. */
  private Claim[] driftedAndReplaced(List<NodeState.NodePod> pods) {
    Claim old = launchedNode("old", "m7i.large", pods);
    service.run("tick-0");
    cluster.pools.set(0, pool(cluster.pools.getFirst(), Map.of("team", "blue"), List.of(), NodePool.Lifetime.DEFAULT));
    service.run("tick-1");
    Claim replacement = cluster.store.claims().stream().filter(c -> c.replaces().contains(old.id())).findFirst()
        .orElseThrow();
    return new Claim[] {old, replacement};
  }

  @Test
  void aDriftReplacementReadyAtAScaleUpWaitsForThePendingPodsNodeBeforeItsNodeDrains() {
    PendingPod web = pod("web-1", 1000, 1024);
    Claim[] drift = driftedAndReplaced(List.of(running(web)));
    Claim ready = cluster.ready("new", drift[1]);
    cluster.sent();

    // a scale-up as the replacement comes up: a pod that would fill it gets a node of its own, still booting. Open
    // now, the replacement would be that pod's (the cluster's scheduler prefers the emptiest node), and web-1,
    // evicted, would need a launch of its own
    PendingPod batch = cluster.filling("batch-1", ready.instanceType());
    assertThat(cluster.provisioner.provision("pending-1", List.of(batch)).launched()).hasSize(1);
    ConsolidationService.Pass waiting = service.run("tick-2");

    assertThat(waiting.drained()).isEmpty();
    assertThat(waiting.abandoned()).isEmpty();
    assertThat(cluster.sent()).as("the replacement stays held, the old node up").isEmpty();

    cluster.joinRunning("batch-node", batch);
    ConsolidationService.Pass pass = service.run("tick-3");

    assertThat(pass.drained()).containsExactly("old");
    assertThat(cluster.sent()).extracting(Command::kind, Command::node).containsExactly(
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Nominate, "new"),
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "old"));
  }

  /**
   * A node of two web pods drifted and replaced, the replacement Ready and held, with a pod bound there already that
   * leaves room for one web pod: the other needs a launch whatever happens.
   */
  private void driftWithRoomForOneOfItsTwoPods() {
    Claim old = launchedNode("old", "m7i.xlarge", List.of(running(pod("web-1", 1500, 512)),
        running(pod("web-2", 1500, 512))));
    service.run("tick-0");
    cluster.pools.set(0, pool(cluster.pools.getFirst(), Map.of("team", "blue"), List.of(), NodePool.Lifetime.DEFAULT));
    service.run("tick-1");
    Claim ready = cluster.ready("new", cluster.store.claims().stream().filter(c -> c.replaces().contains(old.id()))
        .findFirst().orElseThrow());
    cluster.sent();
    long cpu = NodeCapacity.allocatable(cluster.catalog.type(ready.instanceType())).get(Resources.CPU);
    cluster.mirror("new", ready, List.of(running(pod("resident-1", cpu - 1600, 512))), false);
  }

  /**
   * A scale-up's pod on its way to a node still booting, which would take the held replacement's room first if it
   * opened now: its own node has no room for a web pod beside it.
   */
  private PendingPod onItsWayToANodeOfItsOwn() {
    PendingPod batch = pod("batch-1", 1200, 512);
    assertThat(cluster.provisioner.provision("pending-1", List.of(batch)).launched()).hasSize(1);
    Claim its = cluster.store.claims().stream().filter(c -> c.pods().contains(batch.name())).findFirst().orElseThrow();
    assertThat(NodeCapacity.allocatable(cluster.catalog.type(its.instanceType())).get(Resources.CPU) - 1200)
        .as("room left beside batch-1 on its node").isLessThan(1500);
    return batch;
  }

  @Test
  void aDriftThatWouldStrandFewerPodsOnceThePodsOnTheirWayLandWaitsForThemBeforeItsNodeDrains() {
    driftWithRoomForOneOfItsTwoPods();
    PendingPod batch = onItsWayToANodeOfItsOwn();

    ConsolidationService.Pass waiting = service.run("tick-2");

    assertThat(waiting.drained()).as("draining now would strand both web pods, once batch-1 lands only one")
        .isEmpty();
    assertThat(cluster.sent()).as("the replacement stays held, the old node up").isEmpty();

    cluster.joinRunning("batch-node", batch);
    ConsolidationService.Pass pass = service.run("tick-3");

    assertThat(pass.drained()).as("waiting brings no more room: drift goes ahead").containsExactly("old");
  }

  @Test
  void aDriftWaitingForPodsOnTheirWayDrainsOnceItsReplacementsHoldRunsOut() {
    driftWithRoomForOneOfItsTwoPods();
    onItsWayToANodeOfItsOwn();
    assertThat(service.run("tick-2").drained()).isEmpty();

    cluster.clock.advance(ReplacementHold.LIMIT);
    ConsolidationService.Pass pass = service.run("tick-3");

    assertThat(pass.drained()).as("batch-1's node never came: the wait ends with the hold").containsExactly("old");
  }

  @Test
  void aDriftDoesNotWaitForPodsPendingThatNoLaunchIsOnItsWayFor() {
    driftWithRoomForOneOfItsTwoPods();
    // pending, and no claim reserves it (its NodePool at its limit, say): waiting would not send it elsewhere
    cluster.store.putPendingPods(PendingPods.of(cluster.clock.instant(), List.of(pod("batch-1", 1200, 512))).toJson());

    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.drained()).containsExactly("old");
  }

  @Test
  void aDriftDoesNotWaitForAnotherDrainsPodThatOnlyItsOwnNodeHasRoomFor() {
    driftWithRoomForOneOfItsTwoPods();
    Claim replacement = cluster.store.claims().stream().filter(c -> "new".equals(c.nodeName())).findFirst()
        .orElseThrow();
    // a pod another drain is evicting: more memory than the replacement has left, room for it on the drifted node
    long memory = NodeCapacity.allocatable(cluster.catalog.type(replacement.instanceType())).get(Resources.MEMORY)
        / NodeCapacity.MIB;
    assertThat(NodeCapacity.allocatable(cluster.catalog.type("m7i.xlarge")).get(Resources.MEMORY) / NodeCapacity.MIB
        - 1024).as("room for it beside the web pods on the drifted node").isGreaterThan(memory);
    Claim gone = cluster.node("gone", "m7i.xlarge", List.of(running(pod("report-1", 100, memory))));
    cluster.store.transition(gone, gone.moved(ClaimState.Draining, cluster.clock.instant()));

    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.drained()).as("report-1 is stranded either way, and waiting lands no web pod more")
        .containsExactly("old");
  }

  @Test
  void aDriftedNodeDrainsThoughItsReplacementsRoomWasTakenForGood() {
    Claim[] drift = driftedAndReplaced(List.of(running(pod("web-1", 1000, 1024))));
    Claim ready = cluster.ready("new", drift[1]);
    cluster.sent();
    // a pod bound there already (its taint lifted by hand, say): no wait brings the room back
    cluster.mirror("new", ready, List.of(running(cluster.filling("batch-1", ready.instanceType()))), false);

    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.abandoned()).as("drift is never given up").isEmpty();
    assertThat(pass.drained()).containsExactly("old");
    assertThat(cluster.store.claim(drift[1].id()).orElseThrow().replaces()).containsExactly(drift[0].id());
  }

  @Test
  void requirementsAreCheckedForCompatibilityNotHashed() {
    Claim node = launchedNode("m7i", "m7i.large", List.of(running(pod("web-1", 1000, 1024))));
    cluster.mirror("m7i", node, List.of(running(pod("web-1", 1000, 1024))), false);
    NodePool base = cluster.pools.getFirst();
    List<Requirement> widened = new ArrayList<>(base.requirements());
    widened.add(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "m7i.large", "c7i.large"));
    cluster.pools.set(0, new NodePool(base.name(), widened, base.labels(), base.taints(), base.startupTaints(),
        base.limits(), base.weight(), base.disruption(), base.lifetime()));
    assertThat(service.run("tick-1").disruptions()).as("the node still meets the requirements").isEmpty();

    List<Requirement> narrowed = new ArrayList<>(base.requirements());
    narrowed.add(Requirement.in(WellKnownLabels.INSTANCE_TYPE, "c7i.large"));
    cluster.pools.set(0, new NodePool(base.name(), narrowed, base.labels(), base.taints(), base.startupTaints(),
        base.limits(), base.weight(), base.disruption(), base.lifetime()));
    assertThat(service.run("tick-2").disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Drifted);
      assertThat(d.why()).contains("no longer meets");
    });
  }

  @Test
  void aNewNodeImageDriftsTheNodesOnTheOldOne() {
    List<NodeState.NodePod> pods = List.of(running(pod("web-1", 1000, 1024)));
    Claim node = launchedNode("amd", "m7i.large", pods);
    mirrorWithArch("amd", node, pods, List.of());
    assertThat(service.run("tick-1").disruptions()).isEmpty();

    images.put("amd64", "ami-2");

    assertThat(service.run("tick-2").disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Drifted);
      assertThat(d.why()).contains("ami-1 was replaced by ami-2");
    });
  }

  /** Drifts {@code amd} by a new image beside {@code roomy} and {@code small}, under a budget of {@code nodes}. */
  private ConsolidationService.Pass driftBesideAnIdleNode(int nodes, long webMillis, long roomyMillis) {
    NodePool base = cluster.pools.getFirst();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(new NodePool.Budget(nodes, false, List.of())), false)));
    List<NodeState.NodePod> web = List.of(running(pod("web-1", webMillis, 1024)));
    Claim amd = launchedNode("amd", "m7i.large", web);
    mirrorWithArch("amd", amd, web, List.of());
    launchedNode("roomy", "m7i.xlarge", List.of(running(pod("api-1", roomyMillis, 1024))));
    launchedNode("small", "m7i.large", List.of(running(pod("job-1", 500, 512))));
    images.put("amd64", "ami-2");
    return service.run("tick-1");
  }

  @Test
  void aPassThatStartsADriftStillConsolidatesTheOtherNodes() {
    ConsolidationService.Pass pass = driftBesideAnIdleNode(2, 1000, 1000);

    assertThat(pass.disruptions()).extracting(ConsolidationService.Disrupted::node,
        ConsolidationService.Disrupted::reason, ConsolidationService.Disrupted::allowedBy).containsExactly(
        org.assertj.core.groups.Tuple.tuple("amd", DisruptionReason.Drifted, "nodes=2"),
        org.assertj.core.groups.Tuple.tuple("small", DisruptionReason.Underutilized, "nodes=2"));
    assertThat(pass.started()).as("the consolidation beside it: " + pass.outcome()).isTrue();
    assertThat(pass.plan().action()).isEqualTo(ConsolidationPlan.Action.DELETE);
    assertThat(pass.plan().nodes()).extracting(c -> c.state().node()).containsExactly("small");
    assertThat(cluster.sent()).as("web-1 and job-1 both fit in roomy's spare room").extracting(Command::kind,
        Command::node).containsExactly(org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "amd"),
        org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "small"));
  }

  @Test
  void aDriftWhoseReplacementLaunchesFirstLeavesTheConsolidationItsTurnToo() {
    // web-1 fits nowhere else: amd is replaced first; job-1 still fits in roomy's spare room
    ConsolidationService.Pass pass = driftBesideAnIdleNode(2, 1700, 2500);

    assertThat(pass.disruptions()).extracting(ConsolidationService.Disrupted::node,
        ConsolidationService.Disrupted::reason, ConsolidationService.Disrupted::replacements).containsExactly(
        org.assertj.core.groups.Tuple.tuple("amd", DisruptionReason.Drifted, 1),
        org.assertj.core.groups.Tuple.tuple("small", DisruptionReason.Underutilized, 0));
    assertThat(cluster.sent()).as("amd drains once its replacement is ready").extracting(Command::kind,
        Command::node).containsExactly(org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "small"));
    assertThat(cluster.store.claims()).filteredOn(c -> c.replaces().contains("claim-amd")).hasSize(1);
  }

  @Test
  void aDriftTakesItsShareOfTheBudgetsBeforeTheConsolidationAfterIt() {
    ConsolidationService.Pass pass = driftBesideAnIdleNode(1, 1000, 1000);

    assertThat(pass.disruptions()).extracting(ConsolidationService.Disrupted::node).containsExactly("amd");
    assertThat(pass.started()).as("a budget of one node, which the drift took").isFalse();
    assertThat(cluster.sent()).extracting(Command::kind, Command::node)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Command.Kind.Drain, "amd"));
  }

  /** The consolidation pass of functions deployed with this network (a deploy changes it, not a running one). */
  private ConsolidationService deployedWith(Set<String> subnets, Set<String> securityGroups) {
    return new ConsolidationService(cluster.store, cluster.commands, cluster.provisioner, cluster.offerings,
        () -> cluster.pools, List::of, arch -> java.util.Optional.ofNullable(images.get(arch)),
        new NodeNetwork(subnets, securityGroups), cluster.clock);
  }

  private Claim launchedInto(String node, String subnet, String securityGroups) {
    Claim claim = launchedNode(node, "m7i.large", List.of(running(pod(node + "-web", 1000, 1024))));
    return cluster.store.transition(claim, claim.annotated(Map.of(Claim.Annotations.SUBNET, subnet,
        Claim.Annotations.SECURITY_GROUPS, securityGroups)));
  }

  @Test
  void aNodeInASubnetNoLongerConfiguredIsDrifted() {
    launchedInto("in-a", "subnet-a", "sg-1");
    assertThat(deployedWith(Set.of("subnet-a", "subnet-b"), Set.of("sg-1")).run("tick-1").disruptions())
        .as("its subnet is still one nodes go into").isEmpty();

    ConsolidationService.Pass pass = deployedWith(Set.of("subnet-b", "subnet-c"), Set.of("sg-1")).run("tick-2");

    assertThat(pass.disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Drifted);
      assertThat(d.node()).isEqualTo("in-a");
      assertThat(d.why()).startsWith("SubnetDrift: subnet subnet-a is no longer one of [subnet-b, subnet-c]");
      assertThat(d.replacements()).isEqualTo(1);
    });
  }

  @Test
  void aNodeWhoseSecurityGroupsAreNotTheConfiguredSetIsDrifted() {
    launchedInto("two-groups", "subnet-a", "sg-1,sg-2");
    assertThat(deployedWith(Set.of("subnet-a"), Set.of("sg-2", "sg-1")).run("tick-1").disruptions())
        .as("the same set in another order").isEmpty();

    ConsolidationService.Pass added = deployedWith(Set.of("subnet-a"), Set.of("sg-1", "sg-2", "sg-3"))
        .run("tick-2");

    assertThat(added.disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Drifted);
      assertThat(d.why()).startsWith("SecurityGroupDrift: security groups sg-1,sg-2 are not sg-1,sg-2,sg-3");
    });
  }

  @Test
  void aSecurityGroupRemovedDriftsTheNodeAsMuchAsOneAdded() {
    launchedInto("two-groups", "subnet-a", "sg-1,sg-2");

    assertThat(deployedWith(Set.of("subnet-a"), Set.of("sg-1")).run("tick-1").disruptions()).singleElement()
        .satisfies(d -> assertThat(d.why()).startsWith("SecurityGroupDrift: "));
  }

  @Test
  void aNodeWhoseNetworkIsNotKnownDoesNotDriftForIt() {
    launchedNode("unknown", "m7i.large", List.of(running(pod("web-1", 1000, 1024))));

    assertThat(deployedWith(Set.of("subnet-b"), Set.of("sg-9")).run("tick-1").disruptions())
        .as("its claim notes no subnet or security groups").isEmpty();
    launchedInto("known", "subnet-a", "sg-1");
    assertThat(deployedWith(Set.of(), Set.of()).run("tick-2").disruptions())
        .as("no network configured: nothing to compare with").isEmpty();
  }

  @Test
  void driftWaitsForItsBudgetsAndADriftedBudgetOfZeroHoldsIt() {
    NodePool base = cluster.pools.getFirst();
    launchedNode("a", "m7i.large", List.of(running(pod("web-1", 1000, 1024))));
    cluster.pools.set(0, pool(base, Map.of("team", "blue"), List.of(new NodePool.Budget(0, false,
        List.of("Drifted"))), NodePool.Lifetime.DEFAULT));
    assertThat(service.run("tick-1").disruptions()).isEmpty();

    // a zero budget for Drifted only at night (22:00 for 4 h): at noon drift goes on
    cluster.pools.set(0, pool(base, Map.of("team", "blue"), List.of(new NodePool.Budget(0, false,
        List.of("Drifted"), CronSchedule.parse("0 22 * * *"), Duration.ofHours(4))), NodePool.Lifetime.DEFAULT));
    assertThat(service.run("tick-2").disruptions()).singleElement().satisfies(d ->
        assertThat(d.allowedBy()).isEqualTo("no budget active for Drifted"));
  }

  @Test
  void aNodeHoldingADoNotDisruptPodIsNeverChosenForDriftOrConsolidation() {
    PendingPod pinned = pod("batch-1", 500, 512).toBuilder().doNotDisrupt(true).build();
    launchedNode("pinned", "m7i.2xlarge", List.of(running(pinned)));
    cluster.mirror("pinned", cluster.store.claim("claim-pinned").orElseThrow(), List.of(running(pinned)), false);
    NodePool base = cluster.pools.getFirst();
    // drifted (the template changed) and underused (a small pod on a large node, consolidation allowed)
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), Map.of("team", "blue"), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO, List.of(), false),
        NodePool.Lifetime.DEFAULT));
    cluster.clock.advance(Duration.ofMinutes(10));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.disruptions()).isEmpty();
    assertThat(pass.plan().skipped()).contains("pinned: pod shop/batch-1 is marked do-not-disrupt");
    assertThat(cluster.sent()).isEmpty();
    assertThat(cluster.store.claim("claim-pinned").orElseThrow().state()).isEqualTo(ClaimState.Initialized);
  }

  @Test
  void anEmptyNodeMarkedDoNotDisruptIsNotTakenForEmptiness() {
    NodeState.NodePod agent = running(PendingPod.builder("kube-system/agent").ownerKind("DaemonSet")
        .requests(dev.flotilla.model.Resources.of(100, 64L << 20)).build());
    Claim idle = launchedNode("idle", "m7i.large", List.of(agent));
    cluster.mirror("idle", idle, List.of(agent), true);
    cluster.clock.advance(Duration.ofMinutes(10));

    assertThat(service.run("tick-1").disruptions()).isEmpty();

    cluster.mirror("idle", idle, List.of(agent), false);
    assertThat(service.run("tick-2").disruptions()).singleElement()
        .satisfies(d -> assertThat(d.reason()).isEqualTo(DisruptionReason.Empty));
  }

  @Test
  void anExpiredNodeDrainsAtOnceWhateverTheBudgetsAndDoNotDisruptSayWithinItsGrace() {
    NodePool base = cluster.pools.getFirst();
    cluster.pools.set(0, pool(base, base.labels(), List.of(new NodePool.Budget(0, false, List.of())),
        new NodePool.Lifetime(Duration.ofHours(24), Duration.ofMinutes(30))));
    PendingPod pinned = pod("batch-1", 500, 512).toBuilder().doNotDisrupt(true).build();
    Claim node = launchedNode("aging", "m7i.large", List.of(running(pinned)));
    cluster.clock.advance(Duration.ofHours(23));
    assertThat(service.run("tick-1").disruptions()).isEmpty();

    cluster.clock.advance(Duration.ofHours(1));
    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.disruptions()).singleElement().satisfies(d -> {
      assertThat(d.reason()).isEqualTo(DisruptionReason.Expired);
      assertThat(d.allowedBy()).contains("whatever the budgets say");
    });
    Instant now = cluster.clock.instant();
    // each drain command lasts ten minutes and is asked for again; the grace's end is fixed when the drain starts
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.kind()).isEqualTo(Command.Kind.Drain);
      assertThat(c.force()).isFalse();
      assertThat(c.deadline()).isEqualTo(now.plus(Termination.DRAIN_DEADLINE));
    });
    Claim draining = cluster.store.claim(node.id()).orElseThrow();
    assertThat(draining.state()).isEqualTo(ClaimState.Draining);
    assertThat(draining.annotations()).containsEntry(Claim.Annotations.TERMINATION_DEADLINE,
        now.plus(Duration.ofMinutes(30)).toString());

    cluster.clock.advance(Duration.ofMinutes(11));
    service.run("tick-3");
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.force()).isFalse());
    // the retry that reaches the grace's end is forced, to that end and not beyond it
    cluster.clock.advance(Duration.ofMinutes(11));
    service.run("tick-4");
    assertThat(cluster.sent()).singleElement().satisfies(c -> {
      assertThat(c.force()).as("the grace bounds the drain").isTrue();
      assertThat(c.deadline()).isEqualTo(now.plus(Duration.ofMinutes(30)));
    });
  }

  @Test
  void expireAfterNeverKeepsNodesAndWithoutGraceADrainIsNotForced() {
    NodePool base = cluster.pools.getFirst();
    cluster.pools.set(0, pool(base, base.labels(), List.of(), new NodePool.Lifetime(null, null)));
    launchedNode("old", "m7i.large", List.of(running(pod("web-1", 1000, 1024))));
    cluster.clock.advance(Duration.ofDays(400));
    assertThat(service.run("tick-1").disruptions()).isEmpty();

    cluster.node("idle", "m7i.large", List.of());
    assertThat(service.run("tick-2").disruptions()).singleElement()
        .satisfies(d -> assertThat(d.reason()).isEqualTo(DisruptionReason.Empty));
    assertThat(cluster.sent()).singleElement().satisfies(c -> assertThat(c.force()).isFalse());
  }

  @Test
  void aNodeNotReadyForThirtyMinutesIsRepairedUnlessOverTwentyPercentOfItsPoolIs() {
    List<Claim> nodes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      nodes.add(launchedNode("n-" + i, "m7i.large", List.of(running(pod("web-" + i, 1000, 1024)))));
    }
    Instant failed = cluster.clock.instant();
    List<NodeState.Condition> notReady = List.of(new NodeState.Condition("Ready", "Unknown", failed));
    for (int i = 0; i < 3; i++) {
      mirrorWithArch("n-" + i, nodes.get(i), List.of(running(pod("web-" + i, 1000, 1024))), notReady);
    }
    cluster.clock.advance(Duration.ofMinutes(31));
    // three of ten unhealthy: over 20%, nothing is repaired
    assertThat(service.run("tick-1").disruptions()).noneMatch(d -> d.reason() == DisruptionReason.Unhealthy);

    mirrorWithArch("n-2", nodes.get(2), List.of(running(pod("web-2", 1000, 1024))),
        List.of(new NodeState.Condition("Ready", "True", cluster.clock.instant())));
    ConsolidationService.Pass pass = service.run("tick-2");

    assertThat(pass.disruptions()).filteredOn(d -> d.reason() == DisruptionReason.Unhealthy)
        .extracting(ConsolidationService.Disrupted::node).containsExactlyInAnyOrder("n-0", "n-1");
    assertThat(cluster.sent()).filteredOn(c -> c.node().startsWith("n-0") || c.node().startsWith("n-1"))
        .hasSize(2).allSatisfy(c -> {
          assertThat(c.force()).isTrue();
          assertThat(c.deadline()).isEqualTo(cluster.clock.instant().plus(Repair.DRAIN_GRACE));
        });
  }

  @Test
  void aNodeNotReadyForLessThanThirtyMinutesIsLeftAndCountsAgainstTheBudgets() {
    Claim a = launchedNode("a", "m7i.large", List.of(running(pod("web-1", 1000, 1024))));
    launchedNode("b", "m7i.large", List.of());
    mirrorWithArch("a", a, List.of(running(pod("web-1", 1000, 1024))),
        List.of(new NodeState.Condition("Ready", "False", cluster.clock.instant())));
    cluster.clock.advance(Duration.ofMinutes(29));

    ConsolidationService.Pass pass = service.run("tick-1");

    assertThat(pass.disruptions()).as("the not-Ready node uses up the 10% budget: the empty node stays").isEmpty();
    assertThat(pass.plan().skipped()).anyMatch(s -> s.contains("disruption budget is used up"));
  }
}
