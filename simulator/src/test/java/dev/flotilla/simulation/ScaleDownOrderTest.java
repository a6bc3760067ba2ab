package dev.flotilla.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.simulation.ScaleDownOrder.Rule;
import dev.flotilla.simulation.SimulatedCluster.Node;
import dev.flotilla.simulation.SimulatedCluster.Pod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which pods a controller deletes when its workload scales down, by each rule. */
class ScaleDownOrderTest {

  private static final Instant NOW = Instant.parse("2026-01-05T09:00:00Z");
  private final List<Pod> pods = new ArrayList<>();
  private int next;

  @Test
  void aReplicaSetDeletesFirstThePodsOfTheNodeThatRunsMostOfThem() {
    Node big = node("big");
    Node small = node("small");
    place(big, 5, NOW.minusSeconds(3600));
    List<Pod> newest = place(small, 2, NOW.minusSeconds(60));

    assertThat(ScaleDownOrder.victims(Rule.ReplicaSetRanks, pods, 3, false, NOW)).allMatch(p -> p.node == big);
    assertThat(ScaleDownOrder.victims(Rule.NewestFirst, pods, 2, false, NOW)).containsExactlyInAnyOrderElementsOf(
        newest);
  }

  @Test
  void podsNotYetOnANodeGoFirstByEitherRule() {
    place(node("a"), 3, NOW.minusSeconds(60));
    Pod pending = pod(NOW.minusSeconds(3600));

    for (Rule rule : Rule.values()) {
      assertThat(ScaleDownOrder.victims(rule, pods, 1, false, NOW)).containsExactly(pending);
    }
  }

  /**
   * Ranked once for all 700, the 600 pods of the larger node would all go first; a sync deletes at most 500, and the
   * next sync ranks again: the smaller node then runs more of them.
   */
  @Test
  void aLargeScaleDownIsRankedAgainAfterEachBurst() {
    Node a = node("a");
    Node b = node("b");
    place(a, 600, NOW.minusSeconds(3600));
    place(b, 400, NOW.minusSeconds(3600));

    List<Pod> victims = ScaleDownOrder.victims(Rule.ReplicaSetRanks, pods, 700, false, NOW);

    assertThat(victims).hasSize(700);
    assertThat(victims.stream().filter(p -> p.node == a)).hasSize(500);
    assertThat(victims.stream().filter(p -> p.node == b)).hasSize(200);
  }

  /** Each on a node of its own, so no node runs more of them: then the most recently ready goes first. */
  @Test
  void ofPodsAlikeOnTheirNodesTheMostRecentlyBoundGoFirstAndOfThoseBoundAtOnceTheNewest() {
    List<Pod> boundLate = new ArrayList<>();
    List<Pod> createdLate = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      // created an hour ago, bound ten seconds ago: ready more recently than any other
      Pod p = pod(NOW.minusSeconds(3600));
      bind(p, node("late-" + i), NOW.minusSeconds(10));
      boundLate.add(p);
    }
    for (int i = 0; i < 5; i++) {
      Pod old = pod(NOW.minusSeconds(3000));
      bind(old, node("old-" + i), NOW.minusSeconds(900));
      Pod young = pod(NOW.minusSeconds(905));
      bind(young, node("young-" + i), NOW.minusSeconds(900));
      createdLate.add(young);
    }

    assertThat(ScaleDownOrder.victims(Rule.ReplicaSetRanks, pods, 5, false, NOW))
        .containsExactlyInAnyOrderElementsOf(boundLate);
    List<Pod> next = ScaleDownOrder.victims(Rule.ReplicaSetRanks, pods, 10, false, NOW);
    assertThat(next.subList(5, 10)).containsExactlyInAnyOrderElementsOf(createdLate);
  }

  @Test
  void aStatefulSetDeletesItsNewestPodsWhateverTheRule() {
    Node big = node("big");
    place(big, 5, NOW.minusSeconds(3600));
    List<Pod> newest = place(node("small"), 1, NOW.minusSeconds(60));

    assertThat(ScaleDownOrder.victims(Rule.ReplicaSetRanks, pods, 1, true, NOW)).isEqualTo(newest);
  }

  private static Node node(String name) {
    return new Node(name, "i-" + name, Map.of(), List.of(), Resources.of(64_000, 256L << 30));
  }

  private List<Pod> place(Node node, int count, Instant at) {
    List<Pod> placed = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Pod p = pod(at);
      p.node = node;
      p.bound = at;
      node.pods.add(p);
      placed.add(p);
    }
    return placed;
  }

  private static void bind(Pod p, Node node, Instant at) {
    p.node = node;
    p.bound = at;
    node.pods.add(p);
  }

  private Pod pod(Instant created) {
    Pod p = new Pod(PendingPod.simple("default/web-" + next++, Resources.of(100, 128L << 20)), "default/web", created);
    pods.add(p);
    return p;
  }
}
