package dev.flotilla.disruption;

import static dev.flotilla.disruption.RunningCluster.pod;
import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import dev.flotilla.scheduling.InFlightNode;
import dev.flotilla.scheduling.Plan;
import dev.flotilla.scheduling.Scheduler;
import dev.flotilla.scheduling.SchedulingInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Pods that keep their own kind off their node need a node each: the floor counts the nodes that stay and can take
 * one, and never more than any placement needs.
 */
class NewNodeFloorTest {

  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private static final List<String> TYPES = List.of("m7i.large", "m7i.xlarge", "c7g.large", "r7i.large",
      "m7g.2xlarge");

  @Test
  void shardsNeedANodeEachBeyondTheStayingNodesFreeOfThem() {
    List<PendingPod> shards = List.of(shard("shard-1", 500), shard("shard-2", 500), shard("shard-3", 500),
        shard("shard-4", 500));
    // a node free of shards with room takes one; a node running a shard, or with no room, takes none
    InFlightNode empty = node("empty", "m7i.xlarge", List.of());
    InFlightNode withShard = node("with-shard", "m7i.xlarge", List.of(shard("shard-0", 500)));
    InFlightNode full = node("full", "m7i.large", List.of(pod("web-1", 1900, 1024)));

    int floor = NewNodeFloor.of(shards, List.of(empty, withShard, full),
        List.of(free(empty), free(withShard), free(full)));

    assertThat(floor).isEqualTo(3);
  }

  @Test
  void podsThatShareANodeFreelyNeedNoneCounted() {
    List<PendingPod> web = List.of(pod("web-1", 500, 512), pod("web-2", 500, 512), pod("web-3", 500, 512));

    assertThat(NewNodeFloor.of(web, List.of(), List.of())).isZero();
  }

  @Test
  void theSameHostPortKeepsPodsApart() {
    PendingPod a = pod("ingress-1", 200, 256).toBuilder().hostPorts(Set.of("TCP/443")).build();
    PendingPod b = pod("ingress-2", 200, 256).toBuilder().hostPorts(Set.of("TCP/443")).build();
    InFlightNode taken = node("taken", "m7i.xlarge", List.of(pod("ingress-0", 200, 256).toBuilder()
        .hostPorts(Set.of("TCP/443")).build()));

    assertThat(NewNodeFloor.of(List.of(a, b), List.of(taken), List.of(free(taken)))).isEqualTo(2);
  }

  @Test
  void antiAffinityToAnotherKindCountsNothing() {
    // web keeps off nodes running cache, not off its own: web pods may share a node
    PendingPod web = pod("web-1", 200, 256).toBuilder().labels(Map.of("app", "web")).antiAffinity(List.of(
        new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "cache")), List.of())))
        .build();

    assertThat(NewNodeFloor.of(List.of(web, web.withName("shop/web-2")), List.of(), List.of())).isZero();
  }

  /** Pods as generated: shards of {@code cpu} millicores each, plain pods beside them. */
  record Workload(int shards, long shardCpu, int plain, long plainCpu) {}

  /** A node that stays: its type and the shards and plain pods it runs. */
  record Staying(String type, int shards, int plain) {}

  @Property(tries = 40)
  void theFloorNeverExceedsTheNodesTheSchedulersPlanNeeds(@ForAll("workloads") Workload workload,
      @ForAll("stayingNodes") List<Staying> staying, @ForAll @IntRange(min = 0, max = 1) int pool) {
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < workload.shards(); i++) {
      pods.add(shard("shard-new-" + i, workload.shardCpu()));
    }
    for (int i = 0; i < workload.plain(); i++) {
      pods.add(pod("plain-new-" + i, workload.plainCpu(), 256));
    }
    List<InFlightNode> nodes = new ArrayList<>();
    List<Resources> free = new ArrayList<>();
    int n = 0;
    for (Staying s : staying) {
      List<PendingPod> running = new ArrayList<>();
      for (int i = 0; i < s.shards(); i++) {
        running.add(shard("shard-" + n + "-" + i, 400));
      }
      for (int i = 0; i < s.plain(); i++) {
        running.add(pod("plain-" + n + "-" + i, 300, 256));
      }
      InFlightNode node = node("node-" + n++, s.type(), running);
      // a node its pods overfill is no node the scheduler fills: left out, as the mirror would not show it so
      if (requests(running).fitsIn(NodeCapacity.allocatable(CATALOG.type(s.type())))) {
        nodes.add(node);
        free.add(free(node));
      }
    }
    List<NodePool> pools = List.of(NodePool.defaultPool());
    Plan plan = new Scheduler(Scheduler.Choice.values()[pool], Scheduler.Domains.OFFERED_ZONES)
        .schedule(new SchedulingInput(pods, pools, CATALOG, List.of(), Map.of(), nodes));

    int floor = NewNodeFloor.of(pods, nodes, free);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(floor).isLessThanOrEqualTo(plan.nodeClaims().size());
  }

  @Provide
  Arbitrary<Workload> workloads() {
    return Combinators.combine(Arbitraries.integers().between(0, 12), Arbitraries.of(250L, 500L, 1500L),
        Arbitraries.integers().between(0, 6), Arbitraries.of(100L, 700L)).as(Workload::new);
  }

  @Provide
  Arbitrary<List<Staying>> stayingNodes() {
    return Combinators.combine(Arbitraries.of(TYPES), Arbitraries.integers().between(0, 1),
        Arbitraries.integers().between(0, 5)).as(Staying::new).list().ofMaxSize(8);
  }

  private static PendingPod shard(String name, long cpu) {
    return PendingPod.builder("store/" + name).labels(Map.of("app", "shard")).requests(Resources.of(cpu,
        1L << 30)).antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
        LabelSelector.of(Map.of("app", "shard")), List.of()))).build();
  }

  private static InFlightNode node(String name, String type, List<PendingPod> pods) {
    return new InFlightNode(name, NodePool.defaultPool().name(), type, "us-east-1a", CapacityType.ON_DEMAND, pods);
  }

  private static Resources requests(List<PendingPod> pods) {
    Resources sum = Resources.NONE;
    for (PendingPod p : pods) {
      sum = sum.plus(p.requests());
    }
    return sum;
  }

  private static Resources free(InFlightNode node) {
    return NodeCapacity.allocatable(CATALOG.type(node.instanceType())).minus(requests(node.pods()));
  }
}
