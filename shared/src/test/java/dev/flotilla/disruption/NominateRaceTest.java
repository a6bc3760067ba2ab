package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.nodepool.NodePool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A delete drains at once, perhaps before the Nominate of a node just Ready binds the pods planned there. Until it
 * does, kube-scheduler counts those pods in no spread, and the displaced pods may go elsewhere than they would once
 * the pods are bound.
 *
 * <p>Three web pods are planned on a node still initializing in us-east-1a. The node to delete runs a web pod and a
 * 1.2-CPU pod; the others have 1.3 CPUs free (us-east-1a) and 0.5 (us-east-1b). With the three counted in
 * us-east-1a, the web pod's zone spread sends it to us-east-1b and the 1.2-CPU pod fits in us-east-1a; without them,
 * least-allocated sends the web pod to us-east-1a, and the 1.2-CPU pod fits nowhere.
 */
class NominateRaceTest {

  private final RunningCluster cluster = new RunningCluster();

  private static PendingPod web(String name) {
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").labels(Map.of("app", "web"))
        .requests(Resources.of(400, 256L << 20)).build();
  }

  private static PendingPod other(String name, long cpu) {
    return PendingPod.builder("shop/" + name).ownerKind("ReplicaSet").labels(Map.of("app", name))
        .requests(Resources.of(cpu, 256L << 20)).build();
  }

  @Test
  void aDeleteWhosePodsLandOnlyOnceTheNominateHasComeIsNotTaken() {
    Claim going = cluster(false);
    Consolidator.View view = cluster.view();

    assertThat(stranded(view, going)).as("the 1.2-CPU pod, where the planned web pods are not bound yet")
        .containsExactly("shop/big");
    ConsolidationPlan plan = new Consolidator().plan(view);
    assertThat(plan.action() == Action.DELETE && plan.claimIds().contains(going.id())).as("%s", plan).isFalse();
  }

  @Test
  void withTheWebPodsRunningThereTheSameDeleteLandsAndIsTaken() {
    Claim going = cluster(true);
    Consolidator.View view = cluster.view();

    assertThat(stranded(view, going)).isEmpty();
    ConsolidationPlan plan = new Consolidator().plan(view);
    assertThat(plan.action()).isEqualTo(Action.DELETE);
    assertThat(plan.claimIds()).containsExactly(going.id());
  }

  /**
   * The cluster above; the three web pods in us-east-1a planned on a node still initializing, or running there once
   * its Nominate came. Returns the claim of the node to delete.
   */
  private Claim cluster(boolean nominated) {
    NodePool base = NodePool.defaultPool();
    cluster.pools.set(0, new NodePool(base.name(), base.requirements(), base.labels(), base.taints(),
        base.startupTaints(), base.limits(), base.weight(), new NodePool.Disruption(
            NodePool.ConsolidationPolicy.WhenEmptyOrUnderutilized, Duration.ZERO,
            List.of(new NodePool.Budget(100, true, List.of())), false)));
    long allocatable = dev.flotilla.catalog.NodeCapacity.allocatable(cluster.catalog.type("m7i.large"))
        .get(Resources.CPU);
    // the two nodes with room keep their pods: only the third is a candidate
    keep("roomy-a", "us-east-1a", List.of(running(other("fill-a", allocatable - 1300))));
    keep("tight-b", "us-east-1b", List.of(running(other("fill-b", allocatable - 500))));
    Claim going = cluster.node("going-c", "m7i.large", CapacityType.ON_DEMAND, "default", "us-east-1c",
        List.of(running(web("web-0")), running(other("big", 1200))));
    List<NodeState.NodePod> webs = IntStream.range(1, 4).mapToObj(i -> running(web("web-" + i))).toList();
    if (nominated) {
      keep("new-a", "us-east-1a", webs);
    } else {
      cluster.readyWithPlanned("new-a", "m7i.large", webs, List.of(dev.flotilla.binding.StartupTaint.INITIALIZING));
    }
    return going;
  }

  private static List<String> stranded(Consolidator.View view, Claim going) {
    NodeState state = view.nodes().stream().filter(n -> n.node().equals("going-c")).findFirst().orElseThrow();
    return new ConsolidationValidation(view, view.poolsByName())
        .stranded(List.of(new ConsolidationPlan.Candidate(state, going)), List.of());
  }

  /** Mirrors the node with do-not-disrupt set: its pods stay, and it is no candidate. */
  private void keep(String node, String zone, List<NodeState.NodePod> pods) {
    Claim claim = cluster.node(node, "m7i.large", CapacityType.ON_DEMAND, "default", zone, pods);
    cluster.mirror(node, claim, pods, true);
  }
}
