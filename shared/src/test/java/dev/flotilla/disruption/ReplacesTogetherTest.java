package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.NodeClaim;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The replaces a single-node pass finds go together as far as they still pay together, each node's own split
 * included: a node whose pods three smaller nodes run for less than one does is replaced by three, and two such
 * nodes by six in one command, not one node a pass.
 */
class ReplacesTogetherTest {

  private static final Set<Action> SINGLE = EnumSet.of(Action.DELETE, Action.REPLACE);

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void nodesEachSplitInThreeAreReplacedInOneCommand() {
    cluster.consolidateAtOnce(5);
    NodePool base = cluster.pools.getFirst();
    cluster.pools.set(0, new NodePool(base.name(), List.of(
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"),
        Requirement.in(WellKnownLabels.INSTANCE_CATEGORY, "c", "m", "r"),
        Requirement.in(WellKnownLabels.INSTANCE_SIZE, "large", "xlarge", "2xlarge")),
        base.labels(), base.taints(), base.startupTaints(), base.limits(), base.weight(), base.disruption(),
        base.lifetime(), base.replicas()));
    // nodes the pool no longer launches (it now takes up to 2xlarge), each running three 50 GiB pods: one r6g.2xlarge
    // each, a third cheaper than the node; neither node has room for one of the other's
    List<Claim> oversized = new ArrayList<>();
    for (int n = 0; n < 2; n++) {
      List<NodeState.NodePod> pods = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        pods.add(running(pod("cache-" + n + "-" + i, 1000, 50 * 1024)));
      }
      oversized.add(cluster.node("oversized-" + n, "m6g.12xlarge", pods));
    }

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action()).isEqualTo(Action.REPLACE);
    assertThat(plan.claimIds()).containsExactlyInAnyOrderElementsOf(oversized.stream().map(Claim::id).toList());
    assertThat(plan.reason()).startsWith("2 nodes, each replaceable by a cheaper one, replaced together");
    assertThat(plan.replacements()).as("more nodes than it removes: as many as the two replaces alone launch")
        .hasSize(6);
    double removed = oversized.stream().mapToDouble(Claim::pricePerHour).sum();
    assertThat(plan.replacementPricePerHour()).isLessThan(removed - Consolidator.minSaving(removed));
    assertThat(plan.replacements().stream().mapToInt(r -> r.pods().size()).sum()).isEqualTo(6);
    assertThat(new ConsolidationValidation(cluster.view(), cluster.view().poolsByName()).lands(plan.nodes(), plan.replacements()))
        .as("the cluster's scheduler lands every pod on the replacements").isTrue();
  }

  @Test
  void replacesJoinUpToThePoolsBudgetThoseSavingMostFirst() {
    cluster.consolidateAtOnce(5);
    // seven oversized nodes of one shard each (one to a node): each shrinks to a cheaper node, no shard fits beside
    // another; the budget takes five, the three dearest among them
    List<Claim> large = new ArrayList<>();
    List<Claim> small = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      Claim node = cluster.node("shard-node-" + i, i < 3 ? "m7i.8xlarge" : "m7i.4xlarge",
          List.of(running(RunningCluster.shard(i, 1000, 1024))));
      (i < 3 ? large : small).add(node);
    }

    ConsolidationPlan plan = new Consolidator().plan(cluster.view(), SINGLE);

    assertThat(plan.action()).isEqualTo(Action.REPLACE);
    assertThat(plan.reason()).startsWith("5 nodes, each replaceable by a cheaper one, replaced together by 5");
    assertThat(plan.claimIds()).hasSize(5).containsAll(large.stream().map(Claim::id).toList());
    assertThat(plan.replacements()).hasSize(5);
    assertThat(new ConsolidationValidation(cluster.view(), cluster.view().poolsByName()).lands(plan.nodes(), plan.replacements()))
        .as("the cluster's scheduler lands every shard on the replacements").isTrue();
  }
}
