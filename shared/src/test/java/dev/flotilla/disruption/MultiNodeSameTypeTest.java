package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.disruption.ConsolidationPlan.Action;
import dev.flotilla.model.PendingPod;
import dev.flotilla.scheduling.InstanceTypeOption;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Several nodes replaced by one of the type one of them already is would be the others deleted with more pods moved:
 * the multi-node search leaves that type out of the replacement, as Karpenter's {@code filterOutSameType} does, and
 * where no cheaper type is left the group is refused, so that the delete is found instead.
 */
class MultiNodeSameTypeTest {

  private final RunningCluster cluster = new RunningCluster();

  @Test
  void twoNodesWhosePodsOneNodeOfTheLargersTypeHoldsAreNotReplacedByThatTypeButTheSmallerIsDeleted() {
    cluster.consolidateAtOnce(10);
    PendingPod busyPod = pod("api-1", 2000, 4096);
    PendingPod smallPod = pod("web-1", 500, 1024);
    // the busy node is the cheapest type for both nodes' pods together; the small one the cheapest for its own
    String both = cheapestFor(pod("both", 2500, 5120));
    Claim busy = cluster.node("busy", both, List.of(running(busyPod)));
    Claim small = cluster.node("small", cheapestFor(smallPod), List.of(running(smallPod)));

    ConsolidationPlan multi = new Consolidator().plan(cluster.view(), EnumSet.of(Action.MULTI_NODE));
    ConsolidationPlan single = new Consolidator().plan(cluster.view(), EnumSet.of(Action.DELETE, Action.REPLACE));

    assertThat(multi.action()).as(multi.reason()).isEqualTo(Action.NONE);
    assertThat(single.action()).isEqualTo(Action.DELETE);
    assertThat(single.claimIds()).containsExactly(small.id());
    assertThat(busy.id()).isNotIn(single.claimIds());
  }

  @Test
  void aReplacementKeepsItsTypesCheaperThanARemovedNodesAndLeavesOutThatTypeAndDearerOnes() {
    cluster.consolidateAtOnce(10);
    List<PendingPod> pods = List.of(pod("web-0", 2500, 2048), pod("web-1", 2500, 2048), pod("web-2", 2500, 2048));
    // the types a new node for the three pods would be offered, cheapest first; one node runs on a dearer one of them
    List<InstanceTypeOption> offered = new Scheduler().schedule(new SchedulingInput(pods, cluster.pools,
        cluster.catalog)).nodeClaims().getFirst().instanceTypes();
    InstanceTypeOption dearer = offered.stream()
        .filter(t -> t.pricePerHour() > offered.getFirst().pricePerHour()).findFirst().orElseThrow();
    String single = cheapestFor(pods.getFirst());
    Claim onDearer = cluster.node("web-0", dearer.name(), List.of(running(pods.get(0))));
    cluster.node("web-1", single, List.of(running(pods.get(1))));
    cluster.node("web-2", single, List.of(running(pods.get(2))));

    ConsolidationPlan multi = new Consolidator().plan(cluster.view(), EnumSet.of(Action.MULTI_NODE));

    assertThat(multi.action()).as(multi.reason()).isEqualTo(Action.MULTI_NODE);
    assertThat(multi.claimIds()).hasSize(3).contains(onDearer.id());
    assertThat(multi.replacements()).singleElement().satisfies(r -> {
      assertThat(r.instanceTypes()).extracting(InstanceTypeOption::name).doesNotContain(dearer.name())
          .contains(offered.getFirst().name());
      assertThat(r.instanceTypes()).allSatisfy(t -> assertThat(t.pricePerHour()).isLessThan(onDearer.pricePerHour()));
    });
  }

  private String cheapestFor(PendingPod pod) {
    return new Scheduler().schedule(new SchedulingInput(List.of(pod), cluster.pools, cluster.catalog))
        .nodeClaims().getFirst().instanceTypes().getFirst().name();
  }
}
