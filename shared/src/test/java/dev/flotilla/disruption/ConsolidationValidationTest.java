package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static dev.flotilla.disruption.RunningCluster.running;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.claims.Claim;
import dev.flotilla.claims.ClaimState;
import dev.flotilla.model.PendingPod;
import dev.flotilla.nodepool.NodePool;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The check of an action against the cluster's scheduler, with what else is leaving the cluster at the time. */
class ConsolidationValidationTest {

  private final RunningCluster cluster = new RunningCluster();

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

  private Consolidator.View view() {
    return new Consolidator.View(cluster.store.nodeStates().values().stream().map(NodeState::parse).toList(),
        cluster.store.claims(), cluster.pools, cluster.catalog, cluster.clock.instant());
  }
}
