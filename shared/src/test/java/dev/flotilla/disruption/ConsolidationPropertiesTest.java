package dev.flotilla.disruption;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InFlightPlacement;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.NodeClaim;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/** Whatever consolidation decides, the pods it displaces still have somewhere to run. */
class ConsolidationPropertiesTest {

  private static final List<String> TYPES = List.of("m7i.large", "m7i.xlarge", "m7i.2xlarge", "c7g.xlarge",
      "r7i.large", "m7g.4xlarge");
  private static final List<String> RESOURCES = List.of(Resources.CPU, Resources.MEMORY, Resources.PODS);

  /** A pod as generated: its size and whether a budget or an annotation protects it. */
  record PodSpec(long cpu, long memoryMiB, int disruptionsAllowed, boolean doNotDisrupt) {}

  /** A node as generated: its type and the pods it runs. */
  record NodeSpec(String type, List<PodSpec> pods) {}

  @Property(tries = 60)
  void aDecisionNeverRemovesCapacityTheDisplacedPodsNeed(@ForAll("clusters") @Size(min = 2, max = 6)
      List<NodeSpec> nodes) {
    RunningCluster cluster = new RunningCluster();
    NodePool base = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(new NodePool.Budget(100, true, List.of())), false)));
    Map<String, List<NodeState.NodePod>> podsByClaim = new HashMap<>();
    Map<String, Claim> claims = new HashMap<>();
    int n = 0;
    for (NodeSpec spec : nodes) {
      List<NodeState.NodePod> pods = fitting(spec, n);
      Claim claim = cluster.node("node-" + n, spec.type(), pods);
      podsByClaim.put(claim.id(), pods);
      claims.put(claim.id(), claim);
      n++;
    }

    ConsolidationPlan plan = new Consolidator().plan(new Consolidator.View(
        cluster.store.nodeStates().values().stream().map(NodeState::parse).toList(), cluster.store.claims(),
        cluster.pools, cluster.catalog, cluster.clock.instant()));
    Statistics.label("action").collect(plan.action());
    if (plan.action() == Action.NONE) {
      return;
    }

    Set<String> removed = new HashSet<>(plan.claimIds());
    List<String> displaced = new ArrayList<>();
    Map<String, PendingPod> podByName = new HashMap<>();
    for (String id : removed) {
      for (NodeState.NodePod p : podsByClaim.get(id)) {
        assertThat(p.pod().doNotDisrupt()).as("a do-not-disrupt pod's node was removed").isFalse();
        assertThat(p.disruptionsAllowed()).as("a pod whose budget allows nothing was displaced").isNotZero();
        if (!p.daemon()) {
          displaced.add(p.pod().name());
          podByName.put(p.pod().name(), p.pod());
        }
      }
    }
    // every displaced pod has exactly one new place
    List<String> placed = new ArrayList<>();
    plan.moves().forEach(m -> placed.addAll(m.pods()));
    plan.replacements().forEach(r -> placed.addAll(r.pods()));
    assertThat(placed).containsExactlyInAnyOrderElementsOf(displaced);

    // the nodes that stay hold what they ran plus what moves in
    for (InFlightPlacement move : plan.moves()) {
      assertThat(removed).as("pods moved onto a node that goes").doesNotContain(move.claimId());
      Resources load = podsByClaim.get(move.claimId()).stream().map(p -> p.pod().requests())
          .reduce(Resources.NONE, Resources::plus);
      for (String pod : move.pods()) {
        load = load.plus(podByName.get(pod).requests());
      }
      assertFits(load, NodeCapacity.allocatable(cluster.catalog.type(claims.get(move.claimId()).instanceType())),
          "node of claim " + move.claimId());
    }
    // each replacement, whichever of its types EC2 picks, holds its pods
    for (NodeClaim replacement : plan.replacements()) {
      Resources load = replacement.pods().stream().map(p -> podByName.get(p).requests())
          .reduce(Resources.NONE, Resources::plus);
      for (InstanceTypeOption option : replacement.instanceTypes()) {
        assertFits(load, NodeCapacity.allocatable(cluster.catalog.type(option.name())), option.name());
      }
    }
    // several nodes go for at most one; a replace launches no more nodes than it removes, unless the split saves
    // at least a quarter of what the node costs
    if (plan.action() == Action.MULTI_NODE) {
      assertThat(plan.replacements()).hasSizeLessThanOrEqualTo(1);
    } else if (plan.replacements().size() > plan.nodes().size()) {
      assertThat(plan.nodes()).hasSize(1);
      assertThat(plan.savingPerHour()).isGreaterThanOrEqualTo(
          Consolidator.SPLIT_SAVING * plan.removedPricePerHour() - 1e-6);
    }
    if (!plan.replacements().isEmpty()) {
      assertThat(plan.replacementPricePerHour()).isLessThan(plan.removedPricePerHour());
    }
  }

  private static void assertFits(Resources load, Resources allocatable, String where) {
    for (String r : RESOURCES) {
      assertThat(load.get(r)).as(r + " on " + where).isLessThanOrEqualTo(allocatable.get(r));
    }
  }

  /** The node's pods, dropping any that would not fit, as the real scheduler would have. */
  private static List<NodeState.NodePod> fitting(NodeSpec spec, int node) {
    Resources allocatable = NodeCapacity.allocatable(RunningClusterCatalog.type(spec.type()));
    List<NodeState.NodePod> pods = new ArrayList<>();
    Resources load = Resources.NONE;
    int i = 0;
    for (PodSpec p : spec.pods()) {
      PendingPod pod = PendingPod.builder("shop/n" + node + "-p" + i++).ownerKind("ReplicaSet")
          .doNotDisrupt(p.doNotDisrupt()).requests(Resources.of(p.cpu(), p.memoryMiB() * NodeCapacity.MIB)).build();
      Resources next = load.plus(pod.requests());
      if (next.get(Resources.CPU) <= allocatable.get(Resources.CPU)
          && next.get(Resources.MEMORY) <= allocatable.get(Resources.MEMORY)) {
        pods.add(new NodeState.NodePod(pod, p.disruptionsAllowed()));
        load = next;
      }
    }
    return pods;
  }

  @Provide
  Arbitrary<List<NodeSpec>> clusters() {
    Arbitrary<PodSpec> pod = Combinators.combine(
        Arbitraries.longs().between(100, 3000),
        Arbitraries.longs().between(128, 8192),
        Arbitraries.of(-1, -1, -1, 1, 0),
        Arbitraries.of(false, false, false, false, true)).as(PodSpec::new);
    Arbitrary<NodeSpec> node = Combinators.combine(Arbitraries.of(TYPES), pod.list().ofMinSize(1).ofMaxSize(5))
        .as(NodeSpec::new);
    return node.list().ofMinSize(2).ofMaxSize(6);
  }

  /** The catalog the cluster uses, for sizing generated pods. */
  private static final class RunningClusterCatalog {
    private static final RunningCluster CLUSTER = new RunningCluster();

    static dev.flotilla.catalog.InstanceType type(String name) {
      return CLUSTER.catalog.type(name);
    }
  }
}
