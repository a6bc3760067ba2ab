package dev.flotilla.binding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each of the binder's rules on a small cluster whose figures are worked out by hand in the comments. */
class BinderTest {

  private static final long GI = 1L << 30;
  private final Binder binder = new Binder(ScoringProfile.LeastAllocated, 1);
  private long created;

  private void node(String name, String zone, long cpu, long memoryGi, Taint... taints) {
    binder.addNode(name, Map.of(WellKnownLabels.HOSTNAME, name, WellKnownLabels.ZONE, zone), List.of(taints),
        new Resources(Map.of(Resources.CPU, cpu, Resources.MEMORY, memoryGi * GI, Resources.PODS, 110L)));
  }

  private static PendingPod pod(String name, long cpu, long memoryGi, Map<String, String> labels) {
    return PendingPod.builder("default/" + name).labels(labels).requests(Resources.of(cpu, memoryGi * GI)).build();
  }

  private QueuedPod queued(PendingPod spec, int priority) {
    QueuedPod q = new QueuedPod(spec, priority, created++);
    binder.enqueue(q);
    return q;
  }

  /**
   * Above 100 nodes a pod is scored against the first 100 feasible nodes from where the last search stopped, as
   * kube-scheduler does; a binder that checks what-ifs starts that search over, so a check does not depend on the
   * ones before it.
   */
  @Test
  void startingOverSearchesFromTheFirstNodeAgain() {
    Binder rotating = new Binder(ScoringProfile.LeastAllocated, 1);
    Binder restarting = new Binder(ScoringProfile.LeastAllocated, 1);
    for (Binder b : List.of(rotating, restarting)) {
      for (int i = 0; i < 150; i++) {
        String name = String.format("n-%03d", i);
        b.addNode(name, Map.of(WellKnownLabels.HOSTNAME, name, WellKnownLabels.ZONE, "z1"), List.of(),
            new Resources(Map.of(Resources.CPU, 4000L, Resources.MEMORY, 16 * GI, Resources.PODS, 110L)));
        if (i < 149) {
          b.bound(name, pod("busy-" + i, 2000, 2, Map.of()));
        }
      }
      b.enqueue(new QueuedPod(pod("first", 1000, 1, Map.of()), 0, 0));
      assertThat(b.schedule().bound()).as("the emptiest node is past the first 100").noneMatch(
          x -> x.node().equals("n-149"));
    }
    restarting.startOver();
    for (Binder b : List.of(rotating, restarting)) {
      b.enqueue(new QueuedPod(pod("second", 1000, 1, Map.of()), 0, 1));
    }

    assertThat(rotating.schedule().bound()).as("the search goes on from node 100").extracting(Binding::node)
        .containsExactly("n-149");
    assertThat(restarting.schedule().bound()).extracting(Binding::node).doesNotContain("n-149");
  }

  @Test
  void aNodeAddedAtAPositionIsSearchedThere() {
    Binder b = new Binder(ScoringProfile.LeastAllocated, 1);
    for (int i = 0; i < 150; i++) {
      String name = String.format("n-%03d", i);
      b.addNode(name, Map.of(WellKnownLabels.HOSTNAME, name, WellKnownLabels.ZONE, "z1"), List.of(),
          new Resources(Map.of(Resources.CPU, 4000L, Resources.MEMORY, 16 * GI, Resources.PODS, 110L)));
      b.bound(name, pod("busy-" + i, 2000, 2, Map.of()));
    }
    // an empty node among the first 100 searched: the pod finds it, which it would not at the end of the order
    b.addNode("empty", Map.of(WellKnownLabels.HOSTNAME, "empty", WellKnownLabels.ZONE, "z1"), List.of(),
        new Resources(Map.of(Resources.CPU, 4000L, Resources.MEMORY, 16 * GI, Resources.PODS, 110L)), 5);
    b.enqueue(new QueuedPod(pod("p", 1000, 1, Map.of()), 0, 0));

    assertThat(b.schedule().bound()).extracting(Binding::node).containsExactly("empty");
  }

  @Test
  void aNodesGpusAreUsedUpByThePodsBoundThereAndFreedWhenTheyGo() {
    binder.addNode("gpu", Map.of(WellKnownLabels.HOSTNAME, "gpu", WellKnownLabels.ZONE, "z1"), List.of(),
        new Resources(Map.of(Resources.CPU, 8000L, Resources.MEMORY, 32 * GI, Resources.PODS, 110L,
            Resources.NVIDIA_GPU, 1L)));
    // no CPU or memory asked for: the GPU is all it requests beside its pod slot
    binder.bound("gpu", PendingPod.builder("default/train-1").requests(Resources.of(Resources.NVIDIA_GPU, 1))
        .build());
    PendingPod next = PendingPod.builder("default/train-2").requests(new Resources(Map.of(Resources.CPU, 100L,
        Resources.MEMORY, GI, Resources.NVIDIA_GPU, 1L))).build();
    QueuedPod queued = queued(next, 0);

    assertThat(binder.feasible(queued, "gpu")).isFalse();
    assertThat(binder.schedule().bound()).isEmpty();

    binder.delete("default/train-1");
    assertThat(binder.feasible(queued, "gpu")).isTrue();
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/train-2", "gpu"));
  }

  @Test
  void leastAllocatedAndBalancedScoresAsKubeSchedulerComputesThem() {
    node("a", "z1", 4000, 16);
    node("b", "z2", 4000, 16);
    binder.bound("a", pod("busy", 2000, 2, Map.of()));
    QueuedPod p = queued(pod("p", 1000, 1, Map.of()), 0);

    // b: fit (3000*100/4000 = 75, 15Gi*100/16Gi = 93) / 2 = 84; balanced cpu .25 mem .0625 -> (1 - .09375)*100 = 90;
    //    no PreferNoSchedule taints: 100 * 3
    // a: fit (25 + 81) / 2 = 53; balanced cpu .75 mem .1875 -> 71; taints 300
    assertThat(binder.scores(p)).containsEntry("b", 84L + 90 + 300).containsEntry("a", 53L + 71 + 300);
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/p", "b"));
  }

  @Test
  void theBinPackingProfilePrefersTheFullerNode() {
    Binder packing = new Binder(ScoringProfile.MostAllocated, 1);
    for (String n : List.of("a", "b")) {
      packing.addNode(n, Map.of(WellKnownLabels.HOSTNAME, n, WellKnownLabels.ZONE, "z1"), List.of(),
          new Resources(Map.of(Resources.CPU, 4000L, Resources.MEMORY, 16 * GI, Resources.PODS, 110L)));
    }
    packing.bound("a", pod("busy", 2000, 2, Map.of()));
    QueuedPod p = new QueuedPod(pod("p", 1000, 1, Map.of()), 0, 0);
    packing.enqueue(p);
    // a: fit (75 + 18) / 2 = 46, balanced 71; b: fit (25 + 6) / 2 = 15, balanced 90
    assertThat(packing.scores(p)).containsEntry("a", 46L + 71 + 300).containsEntry("b", 15L + 90 + 300);
    assertThat(packing.schedule().bound()).containsExactly(new Binding("default/p", "a"));
  }

  @Test
  void aPreferNoScheduleTaintCostsTheTaintTolerationWeight() {
    node("a", "z1", 4000, 16, new Taint("spot", "true", "PreferNoSchedule"));
    node("b", "z1", 4000, 16);
    QueuedPod p = queued(pod("p", 1000, 1, Map.of()), 0);
    Map<String, Long> scores = binder.scores(p);
    assertThat(scores.get("b") - scores.get("a")).isEqualTo(300);
  }

  @Test
  void aPodGoesToItsNominatedNodeWhenItFitsThere() {
    node("a", "z1", 4000, 16);
    node("b", "z1", 4000, 16);
    binder.bound("a", pod("busy", 3000, 3, Map.of()));
    queued(pod("p", 500, 1, Map.of()), 0);
    binder.nominate("default/p", "a");
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/p", "a"));
  }

  @Test
  void podsNominatedToANodeReserveItsRoomAgainstPodsOfEqualOrLowerPriority() {
    node("a", "z1", 4000, 16);
    queued(pod("first", 2000, 1, Map.of()), 0);
    queued(pod("planned", 3000, 1, Map.of()), 0);
    binder.nominate("default/planned", "a");
    // first is older, but 2000m beside the 3000m nominated there does not fit 4000m
    assertThat(binder.feasible(new QueuedPod(pod("first", 2000, 1, Map.of()), 0, 0), "a")).isFalse();
    Binder.Round round = binder.schedule();
    assertThat(round.bound()).containsExactly(new Binding("default/planned", "a"));
    assertThat(binder.nodeOf("default/first")).isNull();
  }

  @Test
  void aNominationDoesNotHoldRoomAgainstAHigherPriorityPod() {
    node("a", "z1", 4000, 16);
    queued(pod("planned", 3000, 1, Map.of()), 0);
    binder.nominate("default/planned", "a");
    queued(pod("urgent", 2000, 1, Map.of()), 1000);
    Binder.Round round = binder.schedule();
    // urgent goes first (priority) and is not held back by a lower-priority nomination; planned then fits nowhere
    assertThat(round.bound()).containsExactly(new Binding("default/urgent", "a"));
    assertThat(round.nominationsCleared()).containsExactly("default/planned");
    assertThat(binder.nominatedNode("default/planned")).isNull();
  }

  @Test
  void aPodThatFitsNowhereLosesItsNomination() {
    node("a", "z1", 2000, 16);
    queued(pod("big", 3000, 1, Map.of()), 0);
    binder.nominate("default/big", "a");
    Binder.Round round = binder.schedule();
    assertThat(round.bound()).isEmpty();
    assertThat(round.nominationsCleared()).containsExactly("default/big");
    assertThat(binder.nominatedNode("default/big")).isNull();
  }

  @Test
  void theQueueTakesHigherPriorityFirstThenTheOldest() {
    node("a", "z1", 2000, 16);
    queued(pod("old", 2000, 1, Map.of()), 0);
    queued(pod("important", 2000, 1, Map.of()), 10);
    queued(pod("older-than-nothing", 2000, 1, Map.of()), 0);
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/important", "a"));
  }

  @Test
  void systemDefaultSpreadScoresTheNodeWithFewerPodsOfTheWorkload() {
    node("a", "z1", 8000, 32);
    node("b", "z2", 8000, 32);
    Map<String, String> web = Map.of("app", "web");
    binder.bound("a", pod("web-0", 100, 1, web));
    binder.bound("a", pod("web-1", 100, 1, web));
    binder.bound("b", pod("other-0", 200, 2, Map.of("app", "other")));
    QueuedPod webPod = queued(pod("web-2", 100, 1, web), 0);
    QueuedPod batchPod = queued(pod("batch-0", 100, 1, Map.of("app", "batch")), 0);
    // hostname maxSkew 3 and zone maxSkew 5, two feasible nodes in two zones: weight ln(2 + 2) for each
    // a: 2 * 1.386 + 2 + 2 * 1.386 + 4 = 11.5 -> 12; b: 0 + 2 + 0 + 4 = 6
    // normalised (max + min - s) * 100 / max: a 50, b 100; weight 2. A pod of an absent workload scores 100 on both
    Map<String, Long> webScores = binder.scores(webPod);
    Map<String, Long> batchScores = binder.scores(batchPod);
    long webLean = webScores.get("b") - webScores.get("a");
    long batchLean = batchScores.get("b") - batchScores.get("a");
    assertThat(webLean - batchLean).isEqualTo(2 * (100 - 50));
  }

  @Test
  void aHardZoneSpreadKeepsTheSkewWithinMaxSkew() {
    node("a", "z1", 8000, 32);
    node("b", "z2", 8000, 32);
    Map<String, String> web = Map.of("app", "web");
    binder.bound("a", pod("web-0", 100, 1, web));
    binder.bound("a", pod("filler", 6000, 24, Map.of()));
    PendingPod spread = pod("web-1", 100, 1, web).toBuilder()
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(web)))).build();
    queued(spread, 0);
    // z1 holds 1, z2 none: on a the skew would be 2 - 0 > 1, so b, though LeastAllocated alone prefers... b anyway
    assertThat(binder.feasible(new QueuedPod(spread, 0, 0), "a")).isFalse();
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/web-1", "b"));
  }

  @Test
  void withFewerEligibleDomainsThanMinDomainsTheGlobalMinimumIsZero() {
    node("a", "z1", 8000, 32);
    node("b", "z2", 8000, 32);
    Map<String, String> web = Map.of("app", "web");
    binder.bound("a", pod("web-0", 100, 1, web));
    binder.bound("b", pod("web-1", 100, 1, web));
    TopologySpread three = new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(web), 3);
    QueuedPod next = queued(pod("web-2", 100, 1, web).toBuilder().spreads(List.of(three)).build(), 0);
    // one pod in each of two zones: the skew against the least-used would be 1, but with two zones of the three
    // minDomains asks for, it is weighed against zero: 2 > maxSkew 1 on either node
    assertThat(binder.feasible(next, "a")).isFalse();
    assertThat(binder.feasible(next, "b")).isFalse();
    PendingPod plain = pod("web-3", 100, 1, web).toBuilder().spreads(List.of(new TopologySpread(WellKnownLabels.ZONE,
        1, true, LabelSelector.of(web)))).build();
    assertThat(binder.feasible(queued(plain, 0), "a")).isTrue();
  }

  @Test
  void antiAffinityHoldsBothWays() {
    node("a", "z1", 8000, 32);
    node("b", "z1", 8000, 32);
    PodAffinityTerm apartFromDb = new PodAffinityTerm(WellKnownLabels.HOSTNAME,
        LabelSelector.of(Map.of("app", "db")), List.of());
    binder.bound("a", pod("db-0", 100, 1, Map.of("app", "db")).toBuilder()
        .antiAffinity(List.of(apartFromDb)).build());
    // a pod of the db workload may not join a node holding one (the running pod's term selects it)
    QueuedPod db1 = queued(pod("db-1", 100, 1, Map.of("app", "db")), 0);
    assertThat(binder.feasible(db1, "a")).isFalse();
    assertThat(binder.feasible(db1, "b")).isTrue();
    // and a pod whose own anti-affinity selects db pods keeps off a too
    QueuedPod cache = queued(pod("cache", 100, 1, Map.of("app", "cache")).toBuilder()
        .antiAffinity(List.of(apartFromDb)).build(), 0);
    assertThat(binder.feasible(cache, "a")).isFalse();
  }

  @Test
  void antiAffinityOverEveryNamespaceSeesPodsOfOtherNamespaces() {
    node("a", "z1", 8000, 32);
    node("b", "z1", 8000, 32);
    binder.bound("a", PendingPod.builder("data/db-0").namespace("data").labels(Map.of("app", "db"))
        .requests(Resources.of(100, GI)).build());
    // the cache in default keeps off db pods of every namespace (namespaceSelector: {}), so off a
    QueuedPod everywhere = queued(pod("cache-0", 100, 1, Map.of("app", "cache")).toBuilder()
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "db")),
            List.of(), true))).build(), 0);
    assertThat(binder.feasible(everywhere, "a")).isFalse();
    assertThat(binder.feasible(everywhere, "b")).isTrue();
    // looking in its own namespace only, it does not see data's db
    QueuedPod own = queued(pod("cache-1", 100, 1, Map.of("app", "cache")).toBuilder()
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "db")),
            List.of()))).build(), 0);
    assertThat(binder.feasible(own, "a")).isTrue();
  }

  @Test
  void requiredAffinityNeedsAMatchingPodInTheDomainUnlessItIsTheFirstOfItsGroup() {
    node("a", "z1", 8000, 32);
    node("b", "z2", 8000, 32);
    PodAffinityTerm nearDb = new PodAffinityTerm(WellKnownLabels.ZONE, LabelSelector.of(Map.of("app", "db")),
        List.of());
    QueuedPod first = queued(pod("db-0", 100, 1, Map.of("app", "db")).toBuilder().affinity(List.of(nearDb))
        .build(), 0);
    assertThat(binder.feasible(first, "a")).isTrue();
    assertThat(binder.feasible(first, "b")).isTrue();
    binder.delete(first.name());
    binder.bound("b", first.spec());
    QueuedPod app = queued(pod("app", 100, 1, Map.of("app", "api")).toBuilder().affinity(List.of(nearDb))
        .build(), 0);
    assertThat(binder.feasible(app, "a")).isFalse();
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/app", "b"));
  }

  @Test
  void aNodeTaintedAtStartupTakesOnlyPodsThatTolerateItUntilTheTaintIsLifted() {
    node("a", "z1", 4000, 16, StartupTaint.INITIALIZING);
    queued(pod("p", 1000, 1, Map.of()), 0);
    assertThat(binder.schedule().bound()).isEmpty();
    binder.taints("a", List.of());
    assertThat(binder.schedule().bound()).containsExactly(new Binding("default/p", "a"));
  }

  @Test
  void aCordonedNodeTakesNothing() {
    node("a", "z1", 4000, 16);
    binder.cordon("a");
    queued(pod("p", 1000, 1, Map.of()), 0);
    assertThat(binder.schedule().unschedulable()).isEqualTo(1);
  }

  @Test
  void largeClustersFilterUntilTheAdaptiveShareOfNodesIsFeasible() {
    assertThat(Binder.feasibleNodesToFind(50)).isEqualTo(50);
    assertThat(Binder.feasibleNodesToFind(150)).isEqualTo(100);
    assertThat(Binder.feasibleNodesToFind(1000)).isEqualTo(420);
    assertThat(Binder.feasibleNodesToFind(5000)).isEqualTo(500);
    assertThat(Binder.feasibleNodesToFind(10000)).isEqualTo(500);
  }
}
