package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.Operator;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.NodeClaim;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A replacement sized for the pod that needs it, with room left for the pods the cluster's scheduler sends there
 * first. After a scale-down a large node runs web pods and one shard of a store that keeps its shards one to a node.
 * The web pods fit beside the other shards; the shard needs a node of its own. kube-scheduler's default scoring
 * (LeastAllocated) sends the web pods, made again before the shard, to the emptiest node first: the new one.
 */
class ReplacementRoomTest {

  private static final int SHARDS = 250;
  private static final int WEB = 80;

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void aLargeNodeOfWebPodsAndOneShardIsReplacedByANodeThatStillHoldsTheShardOnceWebPodsLandedThere() {
    fleet(null);
    shardNodes(WEB);
    List<NodeState.NodePod> pods = new ArrayList<>(List.of(running(exporter(SHARDS))));
    for (int i = 0; i < WEB; i++) {
      pods.add(running(web(i)));
    }
    pods.add(running(shard(SHARDS)));
    Claim big = cluster.node("big", "c6g.12xlarge", CapacityType.SPOT, "fleet", pods);

    Consolidator.View view = view();
    ConsolidationPlan plan = new Consolidator().plan(view, EnumSet.of(Action.DELETE, Action.REPLACE));

    assertThat(plan.action()).isEqualTo(Action.REPLACE);
    assertThat(plan.nodes()).extracting(c -> c.claim().id()).containsExactly(big.id());
    assertThat(plan.replacements()).singleElement().satisfies(r -> {
      assertThat(r.pricePerHour()).isLessThan(big.pricePerHour() / 4);
      // room for the shard and more: a node sized for the shard alone takes a web pod first and then no shard
      assertThat(r.allocatable().get(Resources.CPU)).isGreaterThan(2 * shard(0).requests().get(Resources.CPU));
    });
    assertThat(new ConsolidationValidation(view, view.poolsByName()).lands(plan.nodes(), plan.replacements()))
        .as("kube-scheduler's rules land every pod it moves").isTrue();
    // the tight plan's replacement, sized for the shard alone, strands it
    NodeClaim tight = new NodeClaim("fleet", big.zone(), List.of(big.zone()), CapacityType.SPOT,
        List.of(new dev.flotilla.scheduling.InstanceTypeOption("c6g.large", 0.0238)), List.of(shard(SHARDS).name()),
        shard(SHARDS).requests(), NodeCapacity.allocatable(cluster.catalog.type("c6g.large")));
    assertThat(new ConsolidationValidation(view, view.poolsByName()).stranded(plan.nodes(), List.of(tight)))
        .containsExactly(shard(SHARDS).name());
  }

  /**
   * Two such nodes, each replaceable so on its own, go in one command: their pods planned together are planned again
   * with room for the pods the cluster's scheduler would strand, as a single node's are (without that, only one of
   * the two goes in the pass).
   */
  @Test
  void twoSuchNodesGoTogetherWithTheRoomEachNeedsAlone() {
    fleet(new NodePool.Disruption(NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, java.time.Duration.ZERO,
        List.of(new NodePool.Budget(10, false, List.of())), false));
    shardNodes(2 * WEB);
    List<Claim> big = new ArrayList<>();
    for (int b = 0; b < 2; b++) {
      // 50 web pods each: the two nodes' together still fit beside the shards
      List<NodeState.NodePod> pods = new ArrayList<>(List.of(running(exporter(SHARDS + b))));
      for (int i = 0; i < 50; i++) {
        pods.add(running(web(b * WEB + i)));
      }
      pods.add(running(shard(SHARDS + b)));
      big.add(cluster.node("big-" + b, "c6g.12xlarge", CapacityType.SPOT, "fleet", pods));
    }

    Consolidator.View view = view();
    ConsolidationPlan plan = new Consolidator().plan(view, EnumSet.of(Action.DELETE, Action.REPLACE));

    assertThat(plan.action()).isEqualTo(Action.REPLACE);
    assertThat(plan.reason()).startsWith("2 nodes, each replaceable by a cheaper one, replaced together");
    assertThat(plan.nodes()).extracting(c -> c.claim().id())
        .containsExactlyInAnyOrderElementsOf(big.stream().map(Claim::id).toList());
    assertThat(plan.replacements()).hasSize(2).allSatisfy(r ->
        assertThat(r.allocatable().get(Resources.CPU)).isGreaterThan(2 * shard(0).requests().get(Resources.CPU)));
    assertThat(new ConsolidationValidation(view, view.poolsByName()).lands(plan.nodes(), plan.replacements()))
        .as("kube-scheduler's rules land every pod it moves").isTrue();
  }

  /** The one NodePool: spot or on-demand, categories c, m and r; {@code disruption} null for the default. */
  private void fleet(NodePool.Disruption disruption) {
    cluster.pools.clear();
    cluster.pools.add(new NodePool("fleet", List.of(
        new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("on-demand", "spot")),
        new Requirement(WellKnownLabels.INSTANCE_CATEGORY, Operator.In, List.of("c", "m", "r"))),
        Map.of(), List.of(), List.of(), Resources.NONE, 0, disruption));
  }

  /**
   * The shards' nodes: half have a web pod beside the shard already (named from {@code webFrom} on), the other half
   * room for one.
   */
  private void shardNodes(int webFrom) {
    for (int i = 0; i < SHARDS; i++) {
      List<NodeState.NodePod> pods = new ArrayList<>(List.of(running(exporter(i)), running(shard(i))));
      if (i % 2 == 0) {
        pods.add(running(web(webFrom + i)));
      }
      cluster.node("shard-node-" + i, "m6g.large", CapacityType.SPOT, "fleet", pods);
    }
  }

  private static PendingPod web(int i) {
    return PendingPod.builder("default/web-" + i).ownerKind("ReplicaSet").labels(Map.of("app", "web"))
        .requests(Resources.of(500, 1024 * NodeCapacity.MIB)).build();
  }

  private static PendingPod exporter(int i) {
    return PendingPod.builder("monitoring/node-exporter-" + i).ownerKind("DaemonSet")
        .labels(Map.of("app", "node-exporter")).requests(Resources.of(50, 64 * NodeCapacity.MIB)).build();
  }

  private static PendingPod shard(int i) {
    return PendingPod.builder("store/shard-" + i).ownerKind("StatefulSet").labels(Map.of("app", "shard"))
        .requests(Resources.of(1000, 2048 * NodeCapacity.MIB))
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
            LabelSelector.of(Map.of("app", "shard")), List.of("store"))))
        .build();
  }

  private Consolidator.View view() {
    return new Consolidator.View(cluster.store.nodeStates().values().stream().map(NodeState::parse).toList(),
        cluster.store.claims(), cluster.pools, cluster.catalog, cluster.clock.instant(),
        List.of(exporter(0).toBuilder().name("monitoring/node-exporter").build()));
  }
}
