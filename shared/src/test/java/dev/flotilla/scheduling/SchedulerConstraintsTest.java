package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.NodeCapacity;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.CapacityType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.Operator;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Requirement;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import dev.flotilla.model.Toleration;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import dev.flotilla.nodepool.NodePool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SchedulerConstraintsTest {

  private static final long GIB = 1L << 30;
  private static final OfferingCatalog CATALOG = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.ratio(0.35));
  private static final Scheduler SCHEDULER = new Scheduler();

  private static List<PendingPod> replicas(PendingPod template, int n) {
    List<PendingPod> pods = new ArrayList<>();
    String base = template.name().substring(0, template.name().lastIndexOf('-'));
    for (int i = 0; i < n; i++) {
      pods.add(template.withName(base + "-" + i));
    }
    return pods;
  }

  private static PendingPod.Builder web() {
    return PendingPod.builder("shop/web-0").labels(Map.of("app", "web")).ownerKind("ReplicaSet")
        .requests(Resources.of(500, GIB));
  }

  private static Plan plan(List<PendingPod> pods, NodePool... pools) {
    SchedulingInput input = new SchedulingInput(pods, List.of(pools), CATALOG);
    Plan plan = SCHEDULER.schedule(input);
    PlanInvariants.check(input, plan);
    return plan;
  }

  private static NodePool pool(String name, int weight, List<Taint> taints, Resources limits, Requirement... reqs) {
    return new NodePool(name, List.of(reqs), Map.of(), taints, List.of(), limits, weight, null);
  }

  @Test
  void minValuesPutsThatManyDistinctValuesInEveryClaimsInstanceTypes() {
    NodePool flexible = pool("flexible", 0, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "spot"),
        new Requirement(WellKnownLabels.INSTANCE_FAMILY, Operator.Exists, List.of(), 8));

    Plan plan = plan(replicas(web().build(), 40), flexible);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> {
      assertThat(c.instanceTypes().stream().map(t -> CATALOG.type(t.name()).family()).distinct().count())
          .isGreaterThanOrEqualTo(8);
      // the claim is still priced at its cheapest type
      assertThat(c.instanceTypes().getFirst().pricePerHour())
          .isEqualTo(c.instanceTypes().stream().mapToDouble(InstanceTypeOption::pricePerHour).min().orElseThrow());
    });
  }

  @Test
  void podsThatLeaveFewerDistinctValuesThanMinValuesAreUnschedulableWithTheReason() {
    NodePool flexible = pool("flexible", 0, List.of(), Resources.NONE,
        new Requirement(WellKnownLabels.INSTANCE_FAMILY, Operator.Exists, List.of(), 3));
    PendingPod pinned = web().requiredTerms(List.of(List.of(
        Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "m7i", "c7i")))).build();

    Plan plan = plan(replicas(pinned, 4), flexible);

    assertThat(plan.nodeClaims()).isEmpty();
    assertThat(plan.unschedulable()).hasSize(4).allSatisfy(u -> assertThat(u.reason())
        .contains("NodePool flexible asks for at least 3 distinct flotilla.dev/instance-family values")
        .contains("[c7i, m7i]"));
  }

  @Test
  void nodeSelectorOnArchitecture() {
    Plan plan = plan(replicas(web().nodeSelector(Map.of(WellKnownLabels.ARCH, "arm64")).build(), 20));
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c ->
        assertThat(CATALOG.type(c.instanceType()).arch()).isEqualTo("arm64"));
  }

  @Test
  void requiredAffinityOperators() {
    Plan in = plan(replicas(web().require(new Requirement(WellKnownLabels.INSTANCE_FAMILY, Operator.In,
        List.of("m7i", "c7i"))).build(), 10));
    assertThat(in.nodeClaims()).allSatisfy(c -> assertThat(CATALOG.type(c.instanceType()).family()).isIn("m7i", "c7i"));

    Plan notIn = plan(replicas(web().require(new Requirement(WellKnownLabels.ARCH, Operator.NotIn,
        List.of("arm64"))).build(), 10));
    assertThat(notIn.nodeClaims()).allSatisfy(c -> assertThat(CATALOG.type(c.instanceType()).arch()).isEqualTo("amd64"));

    Plan gtLt = plan(replicas(web().require(
        new Requirement(WellKnownLabels.INSTANCE_CPU, Operator.Gt, List.of("3")),
        new Requirement(WellKnownLabels.INSTANCE_CPU, Operator.Lt, List.of("9"))).build(), 30));
    assertThat(gtLt.nodeClaims()).allSatisfy(c -> assertThat(CATALOG.type(c.instanceType()).vcpu()).isBetween(4, 8));

    Plan exists = plan(replicas(web().require(
        new Requirement(WellKnownLabels.INSTANCE_GPU_COUNT, Operator.Exists, List.of()),
        new Requirement("example.com/absent", Operator.DoesNotExist, List.of())).build(), 3));
    assertThat(exists.unschedulable()).isEmpty();
  }

  @Test
  void anyOfSeveralRequiredTermsWillDo() {
    PendingPod pod = web().requiredTerms(List.of(
        List.of(Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "no-such-family")),
        List.of(Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "r7g")))).build();
    Plan plan = plan(replicas(pod, 4));
    assertThat(plan.placedPods()).isEqualTo(4);
    assertThat(plan.nodeClaims()).isNotEmpty()
        .allSatisfy(c -> assertThat(CATALOG.type(c.instanceType()).family()).isEqualTo("r7g"));
  }

  @Test
  void preferredAffinityIsHonouredWhenItCanBeAndDroppedWhenItCannot() {
    PendingPod prefers = web().preferredTerms(List.of(new PendingPod.PreferredTerm(50,
        List.of(Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "m7i"))))).build();
    assertThat(plan(replicas(prefers, 8)).nodeClaims())
        .allSatisfy(c -> assertThat(c.instanceType()).startsWith("m7i."));

    PendingPod impossible = web().preferredTerms(List.of(new PendingPod.PreferredTerm(50,
        List.of(Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "no-such-family"))))).build();
    Plan relaxed = plan(replicas(impossible, 8));
    assertThat(relaxed.unschedulable()).isEmpty();
    assertThat(relaxed.placedPods()).isEqualTo(8);
  }

  @Test
  void taintedPoolTakesOnlyPodsThatTolerateIt() {
    Taint gpuTaint = new Taint("nvidia.com/gpu", "true", "NoSchedule");
    NodePool gpu = pool("gpu", 0, List.of(gpuTaint), Resources.NONE,
        Requirement.in(WellKnownLabels.INSTANCE_CATEGORY, "g", "p"));
    PendingPod trainer = PendingPod.builder("ml/train-0").requests(Resources.of(4000, 16 * GIB)
            .with(Resources.NVIDIA_GPU, 1))
        .tolerations(List.of(new Toleration("nvidia.com/gpu", "Exists", "", "NoSchedule"))).build();
    PendingPod intruder = PendingPod.builder("ml/notebook-0").requests(Resources.of(1000, GIB)
        .with(Resources.NVIDIA_GPU, 1)).build();

    Plan plan = plan(List.of(trainer, intruder), gpu);

    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> {
      assertThat(c.pods()).containsExactly("ml/train-0");
      assertThat(CATALOG.type(c.instanceType()).gpus()).isPositive();
    });
    assertThat(plan.unschedulable()).singleElement().satisfies(u -> {
      assertThat(u.pod()).isEqualTo("ml/notebook-0");
      assertThat(u.reason()).isEqualTo("does not tolerate taint nvidia.com/gpu=true:NoSchedule of NodePool gpu");
    });
  }

  @Test
  void flotillasStartupTaintNeedsNoToleration() {
    // every Flotilla node registers with it, and a pool may list it, as a startup taint or among its taints: the
    // forwarder lifts it once the planned pods are nominated, so pods are planned there without tolerating it
    NodePool listed = new NodePool("listed", List.of(), Map.of(), List.of(Taint.INITIALIZING),
        List.of(Taint.INITIALIZING), Resources.NONE, 0, null);
    PendingPod plain = web().build();

    Plan plan = plan(replicas(plain, 6), listed);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.placedPods()).isEqualTo(6);
    assertThat(listed.schedulingTaints()).isEmpty();
    NodePool other = pool("other", 0, List.of(new Taint("flotilla.dev/initializing", "true", "NoExecute")),
        Resources.NONE);
    assertThat(plan(replicas(plain, 2), other).unschedulable()).as("same key, another effect: a taint like any")
        .hasSize(2);
  }

  @Test
  void zoneSpreadBalancesAcrossZones() {
    PendingPod pod = web().spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true,
        LabelSelector.of(Map.of("app", "web"))))).build();
    Plan plan = plan(replicas(pod, 30));
    Map<String, Integer> perZone = new java.util.TreeMap<>();
    plan.nodeClaims().forEach(c -> perZone.merge(c.zone(), c.pods().size(), Integer::sum));
    assertThat(perZone.size()).isGreaterThanOrEqualTo(3);
    assertThat(perZone.values().stream().mapToInt(Integer::intValue).max().getAsInt()
        - perZone.values().stream().mapToInt(Integer::intValue).min().getAsInt()).isLessThanOrEqualTo(1);
  }

  private static Map<String, Integer> podsPerZone(Plan plan, String prefix) {
    Map<String, Integer> perZone = new java.util.TreeMap<>();
    CATALOG.zones().forEach(z -> perZone.put(z, 0));
    plan.nodeClaims().forEach(c -> c.pods().stream().filter(p -> p.startsWith(prefix))
        .forEach(p -> perZone.merge(c.zone(), 1, Integer::sum)));
    return perZone;
  }

  private static int skew(Map<String, Integer> perZone) {
    return perZone.values().stream().mapToInt(Integer::intValue).max().getAsInt()
        - perZone.values().stream().mapToInt(Integer::intValue).min().getAsInt();
  }

  @Test
  void zoneSpreadCountsThePodsZoneAffinityPinsToOneZone() {
    // the smallest mix that broke: a spread over a tier, and a deployment of that tier held in one zone by affinity
    LabelSelector tier = LabelSelector.of(Map.of("tier", "web"));
    PendingPod spread = web().labels(Map.of("app", "web", "tier", "web"))
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, tier))).build();
    PendingPod pinned = PendingPod.builder("shop/api-0").labels(Map.of("app", "api", "tier", "web"))
        .ownerKind("ReplicaSet").requests(Resources.of(500, GIB)).affinity(List.of(new PodAffinityTerm(
            WellKnownLabels.ZONE, LabelSelector.of(Map.of("app", "api")), List.of()))).build();

    Plan plan = plan(concat(replicas(pinned, 6), replicas(spread, 18)));

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(podsPerZone(plan, "shop/api-").values()).containsOnlyOnce(6);
    // every zone a spread pod is in holds at most one more of the tier than the least-used zone
    Map<String, Integer> tierPerZone = podsPerZone(plan, "shop/");
    int least = tierPerZone.values().stream().mapToInt(Integer::intValue).min().getAsInt();
    podsPerZone(plan, "shop/web-").forEach((zone, web) -> {
      if (web > 0) {
        assertThat(tierPerZone.get(zone) - least).as(zone + " in " + tierPerZone).isLessThanOrEqualTo(1);
      }
    });
  }

  @Test
  void zoneAffinityGathersItsPodsInTheZoneThatSellsWhatTheBoundBuys() {
    // prices are alike in every zone, so the cheapest zone is no guide; hpc7g, which the bound buys for this mix, is
    // sold in us-east-1c alone
    OfferingCatalog onDemand = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());
    PendingPod api = PendingPod.builder("shop/api-0").labels(Map.of("app", "api")).ownerKind("ReplicaSet")
        .requests(Resources.of(6500, 10 * GIB)).affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
            LabelSelector.of(Map.of("app", "api")), List.of()))).build();
    PendingPod web = PendingPod.builder("shop/web-0").labels(Map.of("app", "web")).ownerKind("ReplicaSet")
        .requests(Resources.of(2750, 1536L << 20)).build();
    PendingPod db = PendingPod.builder("shop/db-0").labels(Map.of("app", "db")).ownerKind("ReplicaSet")
        .requests(Resources.of(4000, 27 * GIB)).build();
    SchedulingInput input = new SchedulingInput(concat(replicas(api, 20), concat(replicas(web, 20),
        replicas(db, 20))), List.of(), onDemand);

    Plan plan = SCHEDULER.schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(podsPerZone(plan, "shop/api-")).containsEntry("us-east-1c", 20);
    assertThat(onDemand.type("hpc7g.16xlarge").zones()).containsExactly("us-east-1c");
    assertThat(plan.nodeClaims()).filteredOn(c -> c.pods().stream().anyMatch(p -> p.startsWith("shop/api-")))
        .extracting(NodeClaim::instanceType).contains("hpc7g.16xlarge");
    // where the zone sells what the bound buys, keeping it costs nothing more
    assertThat(plan.zoneBoundPerHour()).isEqualTo(plan.lowerBoundPerHour());
  }

  @Test
  void theZoneBoundPricesZonePinnedSharesOnTheShapesTheirZonesSell() {
    // a spread gives us-east-1e, which sells 58 older types, its share: no plan keeping it can cost the plain bound
    PendingPod spread = web().requests(Resources.of(2000, 4 * GIB)).spreads(List.of(new TopologySpread(
        WellKnownLabels.ZONE, 1, true, LabelSelector.of(Map.of("app", "web"))))).build();
    OfferingCatalog onDemand = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());
    SchedulingInput input = new SchedulingInput(replicas(spread, 60), List.of(), onDemand);

    Plan plan = SCHEDULER.schedule(input);
    Plan plain = SCHEDULER.schedule(new SchedulingInput(replicas(web().requests(Resources.of(2000, 4 * GIB))
        .build(), 60), List.of(), onDemand));

    assertThat(podsPerZone(plan, "shop/web-")).containsEntry("us-east-1e", 10);
    assertThat(plan.lowerBoundPerHour()).isEqualTo(plain.lowerBoundPerHour());
    assertThat(plan.zoneBoundPerHour()).isGreaterThan(plan.lowerBoundPerHour());
    assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.zoneBoundPerHour());
    assertThat(plain.zoneBoundPerHour()).isEqualTo(plain.lowerBoundPerHour());
  }

  @Test
  void twoZoneSpreadsOnOnePodAreMetTogether() {
    LabelSelector tier = LabelSelector.of(Map.of("tier", "web"));
    PendingPod both = web().spreads(List.of(
        new TopologySpread(WellKnownLabels.ZONE, 1, true, tier),
        new TopologySpread(WellKnownLabels.ZONE, 1, true, LabelSelector.of(Map.of("app", "web"))))).build();

    Plan plan = plan(replicas(both, 12));

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(skew(podsPerZone(plan, "shop/web-"))).isLessThanOrEqualTo(1);
  }

  @Test
  void zoneAffinityFollowsSpreadPodsIntoAZoneThatHoldsOne() {
    // a spread deployment is never pinned to one zone by the affinity of pods that select it
    PendingPod spread = web().spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true,
        LabelSelector.of(Map.of("app", "web"))))).build();
    PendingPod follower = PendingPod.builder("shop/cache-0").labels(Map.of("app", "cache")).ownerKind("ReplicaSet")
        .requests(Resources.of(250, GIB)).affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
            LabelSelector.of(Map.of("app", "web")), List.of()))).build();

    Plan plan = plan(concat(replicas(follower, 4), replicas(spread, 12)));

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(skew(podsPerZone(plan, "shop/web-"))).isLessThanOrEqualTo(1);
  }

  @Test
  void hostnameAntiAffinityGivesEachPodItsOwnNode() {
    PendingPod pod = web().antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
        LabelSelector.of(Map.of("app", "web")), List.of()))).build();
    Plan plan = plan(replicas(pod, 5));
    assertThat(plan.nodeClaims()).hasSize(5).allSatisfy(c -> assertThat(c.pods()).hasSize(1));
  }

  @Test
  void antiAffinityOverEveryNamespaceKeepsOtherNamespacesPodsAway() {
    // a namespaceSelector of {} looks in every namespace: each team's gateway keeps every other team's off its node
    PendingPod.Builder gateway = PendingPod.builder("shop/gateway-0").labels(Map.of("app", "gateway"))
        .requests(Resources.of(500, GIB)).antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
            LabelSelector.of(Map.of("app", "gateway")), List.of(), true)));
    List<PendingPod> pods = new ArrayList<>();
    for (String team : List.of("shop", "billing", "search")) {
      pods.add(gateway.name(team + "/gateway-0").namespace(team).build());
    }
    Plan apart = plan(pods);
    assertThat(apart.nodeClaims()).hasSize(3).allSatisfy(c -> assertThat(c.pods()).hasSize(1));

    // looking in its own namespace only, the three share a node
    List<PendingPod> ownNamespace = pods.stream().map(p -> p.toBuilder().antiAffinity(List.of(new PodAffinityTerm(
        WellKnownLabels.HOSTNAME, LabelSelector.of(Map.of("app", "gateway")), List.of()))).build()).toList();
    assertThat(plan(ownNamespace).nodeClaims()).hasSize(1);
  }

  @Test
  void theBoundKeepsOneShardPerNodeWhenShardsOutnumberTheNodesItWouldBuy() {
    // 200 shards that repel each other beside 300 web pods: free, the bound would stack shards ten to a large
    // node; kept one to a node, it prices 200 nodes, and the plan (which must) is held to that
    PendingPod shard = PendingPod.builder("store/shard-0").labels(Map.of("app", "shard")).ownerKind("StatefulSet")
        .requests(Resources.of(1000, 2 * GIB)).antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
            LabelSelector.of(Map.of("app", "shard")), List.of()))).build();
    PendingPod plainShard = shard.toBuilder().antiAffinity(List.of()).build();

    Plan plan = plan(concat(replicas(shard, 200), replicas(web().build(), 300)));
    Plan free = plan(concat(replicas(plainShard, 200), replicas(web().build(), 300)));

    assertThat(plan.lowerBoundPerHour()).isGreaterThan(1.05 * free.lowerBoundPerHour());
    assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour());
  }

  @Test
  void shardsNodesTakeWebPodsWhereThatCostsLessThanTheWebPodsOwnNodes() {
    // each shard needs a node of its own, and its node holds a web pod beside it for far less than that web pod costs
    // on a large node; packings that fill large nodes with web first leave the shards alone (92 of 100, 1.28 times
    // the bound)
    PendingPod shard = PendingPod.builder("store/shard-0").labels(Map.of("app", "shard")).ownerKind("StatefulSet")
        .requests(Resources.of(1000, 2 * GIB)).antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
            LabelSelector.of(Map.of("app", "shard")), List.of()))).build();
    NodePool fleet = pool("fleet", 0, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "spot", "on-demand"),
        Requirement.in(WellKnownLabels.ARCH, "amd64", "arm64"),
        Requirement.in(WellKnownLabels.INSTANCE_CATEGORY, "c", "m", "r"));

    Plan plan = plan(concat(replicas(shard, 100), replicas(web().build(), 400)), fleet);

    assertThat(plan.nodeClaims().stream().filter(c -> c.pods().stream().anyMatch(p -> p.startsWith("store/shard-"))
        && c.pods().stream().anyMatch(p -> p.startsWith("shop/web-")))).hasSizeGreaterThanOrEqualTo(90);
    assertThat(plan.costRatio()).isLessThan(1.2);
  }

  @Test
  void hostnameSpreadCapsPodsPerNode() {
    PendingPod pod = web().spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 2, true,
        LabelSelector.of(Map.of("app", "web"))))).build();
    Plan plan = plan(replicas(pod, 9));
    // at least five nodes; nine of the smallest (one pod each) cost less than five that hold two
    assertThat(plan.nodeClaims()).hasSizeGreaterThanOrEqualTo(5)
        .allSatisfy(c -> assertThat(c.pods().size()).isLessThanOrEqualTo(2));
    assertThat(plan.placedPods()).isEqualTo(9);
  }

  @Test
  void aHostnameSpreadTheClusterMayBreakCapsNoNode() {
    // ScheduleAnyway: kube-scheduler weighs it among the nodes there are; capped as required, the plan bought a node
    // per pod (120 of them for one scale-up), which consolidation then took down
    PendingPod pod = web().spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 1, false,
        LabelSelector.of(Map.of("app", "web"))))).build();
    Plan plan = plan(replicas(pod, 24));
    assertThat(plan.placedPods()).isEqualTo(24);
    assertThat(plan.nodeClaims().size()).isLessThan(6);
  }

  @Test
  void zoneAntiAffinityAllowsOnePodPerZoneAndSaysWhyTheRestWait() {
    PendingPod pod = web().antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "web")), List.of()))).build();
    Plan plan = plan(replicas(pod, 8));
    assertThat(plan.nodeClaims().stream().map(NodeClaim::zone).distinct().count())
        .isEqualTo(plan.nodeClaims().size());
    assertThat(plan.placedPods()).isEqualTo(CATALOG.zones().size());
    assertThat(plan.unschedulable()).hasSize(8 - CATALOG.zones().size())
        .allSatisfy(u -> assertThat(u.reason()).contains("anti-affinity on topology.kubernetes.io/zone"));
  }

  @Test
  void zoneAffinityKeepsAPodWithTheOnesItSelects() {
    PendingPod db = PendingPod.builder("shop/db-0").labels(Map.of("app", "db")).requests(Resources.of(2000, 8 * GIB))
        .require(Requirement.in(WellKnownLabels.ZONE, "us-east-1c")).build();
    PendingPod cache = web().affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "db")), List.of()))).build();
    Plan plan = plan(concat(List.of(db), replicas(cache, 6)));
    assertThat(plan.nodeClaims()).allSatisfy(c -> assertThat(c.zone()).isEqualTo("us-east-1c"));
    assertThat(plan.unschedulable()).isEmpty();
  }

  @Test
  void podsSharingAHostPortNeverShareANode() {
    PendingPod pod = web().hostPorts(Set.of("TCP/8080")).build();
    Plan plan = plan(replicas(pod, 3));
    assertThat(plan.nodeClaims()).hasSize(3);
  }

  @Test
  void volumeZonesPinThePod() {
    PendingPod pod = PendingPod.builder("data/pg-0").requests(Resources.of(1000, 4 * GIB))
        .volumeZones(Set.of("us-east-1d")).build();
    assertThat(plan(List.of(pod)).nodeClaims()).singleElement()
        .satisfies(c -> assertThat(c.zone()).isEqualTo("us-east-1d"));
  }

  @Test
  void capacityTypeSpreadUsesBothWhenThePoolAllowsBoth() {
    NodePool both = pool("both", 0, List.of(), Resources.NONE,
        new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("spot", "on-demand")));
    PendingPod pod = web().spreads(List.of(new TopologySpread(WellKnownLabels.CAPACITY_TYPE, 1, true,
        LabelSelector.of(Map.of("app", "web"))))).build();
    Plan plan = plan(replicas(pod, 10), both);
    Map<CapacityType, Integer> perType = new java.util.EnumMap<>(CapacityType.class);
    plan.nodeClaims().forEach(c -> perType.merge(c.capacityType(), c.pods().size(), Integer::sum));
    assertThat(perType).containsEntry(CapacityType.SPOT, 5).containsEntry(CapacityType.ON_DEMAND, 5);
  }

  @Test
  void heavierPoolIsPreferred() {
    NodePool cheapArm = pool("arm", 50, List.of(), Resources.NONE, Requirement.in(WellKnownLabels.ARCH, "arm64"));
    NodePool fallback = pool("any", 0, List.of(), Resources.NONE);
    Plan plan = plan(replicas(web().build(), 10), fallback, cheapArm);
    assertThat(plan.nodeClaims()).allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("arm"));
  }

  @Test
  void podsOfTheHeavierPoolFillTheRoomLeftOnANodeOpenedForALighterPoolsPods() {
    // Karpenter's scheduler adds a pod to a node claim it has opened already, of any pool, before it opens one from
    // the templates by weight: the room billing leaves on its on-demand node takes the caches rather than idling
    NodePool arm = pool("default", 10, List.of(), Resources.NONE, Requirement.in(WellKnownLabels.ARCH, "arm64"));
    NodePool critical = new NodePool("critical", List.of(Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"),
        Requirement.in(WellKnownLabels.ARCH, "amd64")), Map.of("tier", "critical"), List.of(), List.of(),
        Resources.NONE, 1, null);
    List<PendingPod> billing = replicas(PendingPod.builder("pay/billing-0").labels(Map.of("app", "billing"))
        .nodeSelector(Map.of("tier", "critical")).requests(Resources.of(2000, 2 * GIB)).build(), 3);
    List<PendingPod> caches = replicas(PendingPod.builder("web/cache-0").labels(Map.of("app", "cache"))
        .requests(Resources.of(250, GIB)).build(), 4);

    Plan together = plan(concat(billing, caches), arm, critical);
    Plan billingAlone = plan(billing, arm, critical);
    Plan cachesAlone = plan(caches, arm, critical);

    assertThat(cachesAlone.nodeClaims()).allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("default"));
    // no node of the lighter pool is opened for the caches: each holds billing pods, and the caches joined them
    assertThat(together.nodeClaims()).allSatisfy(c -> assertThat(c.pods()).anyMatch(p -> p.startsWith("pay/billing")))
        .allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("critical"));
    assertThat(together.nodeClaims().stream().flatMap(c -> c.pods().stream()).filter(p -> p.startsWith("web/cache")))
        .hasSize(4);
    assertThat(together.totalPricePerHour())
        .isLessThan(billingAlone.totalPricePerHour() + cachesAlone.totalPricePerHour());
  }

  @Test
  void poolLimitStopsTheFleetAndNamesTheLimit() {
    NodePool small = pool("small", 0, List.of(), Resources.of(Resources.CPU, 16_000));
    PendingPod big = PendingPod.builder("shop/batch-0").requests(Resources.of(7000, 8 * GIB)).build();
    Plan plan = plan(replicas(big, 6), small);
    assertThat(plan.placedPods()).isBetween(1, 2);
    assertThat(plan.unschedulable()).isNotEmpty().allSatisfy(u ->
        assertThat(u.reason()).startsWith("NodePool small limit cpu=16 would be exceeded"));
  }

  @Test
  void noInstanceTypeAClaimOffersTakesItsPoolPastItsLimit() {
    // CreateFleet may launch any type a claim offers (the cheapest on demand; for spot, what has capacity): a 2-CPU
    // t4g.nano, cheaper than every 1-CPU type, would put a pool of one CPU at two
    NodePool small = pool("small", 0, List.of(), Resources.of(Resources.CPU, 1_000));
    Plan plan = plan(List.of(PendingPod.builder("shop/web-0").requests(Resources.of(500, 256 << 20)).build()), small);

    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> assertThat(c.instanceTypes())
        .isNotEmpty().allSatisfy(t -> assertThat(NodeCapacity.capacity(CATALOG.type(t.name())).cpuMillis())
            .as(t.name()).isLessThanOrEqualTo(1_000)));
  }

  @Test
  void minValuesThatOnlyTheLimitsLeaveUnmetSaySo() {
    Requirement families = new Requirement(WellKnownLabels.INSTANCE_FAMILY, Operator.Exists, List.of(), 60);
    List<PendingPod> pods = List.of(web().requests(Resources.of(500, GIB)).build());

    assertThat(plan(pods, pool("flexible", 0, List.of(), Resources.NONE, families)).unschedulable()).isEmpty();
    // a 1-CPU limit leaves the pod only types of one CPU, of fewer families than the pool asks for
    Plan limited = plan(pods, pool("flexible", 0, List.of(), Resources.of(Resources.CPU, 1_000), families));

    assertThat(limited.unschedulable()).singleElement().extracting(Unschedulable::reason).asString()
        .startsWith("NodePool flexible asks for at least 60 distinct " + WellKnownLabels.INSTANCE_FAMILY + " values")
        .contains("within its limits; the others would exceed them: NodePool flexible limit cpu=1 would be exceeded");
  }

  @Test
  void claimsTogetherStayWithinTheLimitWhicheverOfTheirTypesLaunches() {
    // four memory-heavy pods, one a node, fill four 2-CPU nodes of a 10-CPU pool: each claim alone may offer a 4-CPU
    // type, but two of them launched as one would put the pool at 12
    NodePool pool = pool("memory", 0, List.of(), Resources.of(Resources.CPU, 10_000));
    PendingPod cache = PendingPod.builder("shop/cache-0").labels(Map.of("app", "cache"))
        .requests(Resources.of(1_000, 12 * GIB)).antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME,
            LabelSelector.of(Map.of("app", "cache")), List.of()))).build();

    Plan plan = plan(replicas(cache, 4), pool);

    assertThat(plan.unschedulable()).isEmpty();
    long largest = 0;
    for (NodeClaim c : plan.nodeClaims()) {
      largest += c.instanceTypes().stream()
          .mapToLong(t -> NodeCapacity.capacity(CATALOG.type(t.name())).cpuMillis()).max().orElseThrow();
    }
    assertThat(largest).isLessThanOrEqualTo(10_000);
    // the slack is still offered: one claim may come up as a 4-CPU type
    assertThat(plan.nodeClaims()).anySatisfy(c -> assertThat(c.instanceTypes())
        .anySatisfy(t -> assertThat(NodeCapacity.capacity(CATALOG.type(t.name())).cpuMillis()).isGreaterThan(2_000)));
  }

  @Test
  void podsFallBackToTheNextPoolByWeightWhenTheHeaviestPoolsLimitIsReached() {
    NodePool reserved = pool("reserved", 50, List.of(), Resources.of(Resources.CPU, 16_000));
    NodePool spare = pool("spare", 20, List.of(), Resources.of(Resources.CPU, 8_000));
    NodePool overflow = pool("overflow", 10, List.of(), Resources.NONE);
    NodePool arm = pool("arm", 30, List.of(), Resources.NONE, Requirement.in(WellKnownLabels.ARCH, "arm64"));
    PendingPod amd = web().nodeSelector(Map.of(WellKnownLabels.ARCH, "amd64")).build();

    Plan plan = plan(replicas(amd, 80), overflow, spare, reserved, arm);

    assertThat(plan.unschedulable()).isEmpty();
    Map<String, Long> cpuByPool = new java.util.TreeMap<>();
    Map<String, Integer> podsByPool = new java.util.TreeMap<>();
    for (NodeClaim c : plan.nodeClaims()) {
      cpuByPool.merge(c.nodePool(), NodeCapacity.capacity(CATALOG.type(c.instanceType())).get(Resources.CPU),
          Long::sum);
      podsByPool.merge(c.nodePool(), c.pods().size(), Integer::sum);
    }
    // the heaviest pool first, to its limit; then the next by weight that admits the pods (arm does not), and so on
    assertThat(podsByPool).containsOnlyKeys("reserved", "spare", "overflow");
    assertThat(cpuByPool.get("reserved")).isLessThanOrEqualTo(16_000).isGreaterThan(8_000);
    assertThat(cpuByPool.get("spare")).isLessThanOrEqualTo(8_000);
    assertThat(plan.poolFallbacks()).extracting(PoolFallback::skippedPool, PoolFallback::nodePool)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("reserved", "spare"),
            org.assertj.core.groups.Tuple.tuple("spare", "overflow"));
    assertThat(plan.poolFallbacks().getFirst().reason()).startsWith("NodePool reserved limit cpu=16 would be exceeded");
    assertThat(plan.poolFallbacks().get(1).reason()).startsWith("NodePool spare limit cpu=8 would be exceeded");
    // every pod that fell back is on a claim of the pool it fell back to
    Map<String, String> poolOfPod = new java.util.HashMap<>();
    plan.nodeClaims().forEach(c -> c.pods().forEach(p -> poolOfPod.put(p, c.nodePool())));
    plan.poolFallbacks().getLast().pods().forEach(p -> assertThat(poolOfPod.get(p)).isEqualTo("overflow"));
    assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour());
  }

  @Test
  void podsFallingBackToAnotherPoolKeepTheZoneTheirZoneAffinityPinned() {
    NodePool primary = pool("primary", 50, List.of(), Resources.of(Resources.CPU, 8_000));
    NodePool overflow = pool("overflow", 10, List.of(), Resources.NONE);
    PendingPod db = PendingPod.builder("shop/db-0").labels(Map.of("app", "db")).requests(Resources.of(1000, GIB))
        .nodeSelector(Map.of(WellKnownLabels.ZONE, "us-east-1c")).build();
    PendingPod near = web().affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "db")), List.of()))).build();

    Plan plan = plan(concat(List.of(db), replicas(near, 30)), overflow, primary);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.poolFallbacks()).isNotEmpty();
    assertThat(plan.nodeClaims()).extracting(NodeClaim::nodePool).contains("overflow");
    assertThat(plan.nodeClaims()).allSatisfy(c -> assertThat(c.zone()).isEqualTo("us-east-1c"));
  }

  @Test
  void droppedPreferencesTryTheHeaviestPoolAgain() {
    // the preferred arm pool is the lightest; once it is full, the heavier amd64 pool takes the rest
    NodePool amd = pool("amd", 100, List.of(), Resources.NONE, Requirement.in(WellKnownLabels.ARCH, "amd64"));
    NodePool arm = pool("arm", 10, List.of(), Resources.of(Resources.CPU, 8_000),
        Requirement.in(WellKnownLabels.ARCH, "arm64"));
    PendingPod prefersArm = web().preferredTerms(List.of(new PendingPod.PreferredTerm(50,
        List.of(Requirement.in(WellKnownLabels.ARCH, "arm64"))))).build();

    Plan plan = plan(replicas(prefersArm, 40), amd, arm);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).extracting(NodeClaim::nodePool).containsOnly("arm", "amd").contains("arm", "amd");
    assertThat(plan.poolFallbacks()).extracting(PoolFallback::skippedPool, PoolFallback::nodePool)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("arm", "amd"));
  }

  @Test
  void zoneAffinityToPodsThatThemselvesFollowNobodyIsReportedForBoth() {
    // the cache follows the api, which follows a database that does not exist: neither can be placed
    PendingPod api = web().labels(Map.of("app", "api")).affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "db")), List.of()))).build().withName("shop/api-0");
    PendingPod cache = web().labels(Map.of("app", "cache")).affinity(List.of(new PodAffinityTerm(
        WellKnownLabels.ZONE, LabelSelector.of(Map.of("app", "api")), List.of()))).build().withName("shop/cache-0");

    for (List<PendingPod> order : List.of(concat(replicas(api, 2), replicas(cache, 2)),
        concat(replicas(cache, 2), replicas(api, 2)))) {
      Plan plan = plan(order);
      assertThat(plan.nodeClaims()).isEmpty();
      assertThat(plan.unschedulable()).hasSize(4).allSatisfy(u -> assertThat(u.reason())
          .endsWith("no pod it selects runs or is pending"));
    }
  }

  @Test
  void podsOfASpotOnlyPoolAtItsLimitFallBackToAnOnDemandPool() {
    // the capacity type the first pool sold was the pool's, not the pods': they may run on-demand in the next
    NodePool spot = pool("spot", 50, List.of(), Resources.of(Resources.CPU, 16_000),
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "spot"));
    NodePool onDemand = pool("steady", 10, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"));

    Plan plan = plan(replicas(web().build(), 60), onDemand, spot);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).extracting(NodeClaim::nodePool).contains("spot", "steady");
    assertThat(plan.nodeClaims()).allSatisfy(c -> assertThat(c.capacityType())
        .isEqualTo(c.nodePool().equals("spot") ? CapacityType.SPOT : CapacityType.ON_DEMAND));
    assertThat(plan.poolFallbacks()).extracting(PoolFallback::skippedPool, PoolFallback::nodePool)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("spot", "steady"));
  }

  @Test
  void preferredNodeAffinityIsDroppedWhenThePoolsThatMeetItAreAtTheirLimits() {
    // web pods prefer arm64; the arm pool (heaviest) is at its limit: Karpenter relaxes the preference and the
    // cluster's scheduler scores it only, so the pods go to the amd64 pool rather than wait for the arm pool
    NodePool arm = pool("arm", 50, List.of(), Resources.of(Resources.CPU, 16_000),
        Requirement.in(WellKnownLabels.ARCH, "arm64"));
    NodePool general = pool("general", 10, List.of(), Resources.NONE, Requirement.in(WellKnownLabels.ARCH, "amd64"));
    PendingPod prefersArm = web().preferredTerms(List.of(new PendingPod.PreferredTerm(50,
        List.of(Requirement.in(WellKnownLabels.ARCH, "arm64"))))).build();

    Plan plan = plan(replicas(prefersArm, 60), general, arm);

    assertThat(plan.unschedulable()).isEmpty();
    Map<String, Integer> podsByPool = new java.util.TreeMap<>();
    plan.nodeClaims().forEach(c -> podsByPool.merge(c.nodePool(), c.pods().size(), Integer::sum));
    // the preference holds while its pool has room
    assertThat(podsByPool.get("arm")).isPositive();
    assertThat(podsByPool.get("general")).isPositive();
    assertThat(podsByPool.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(60);
    assertThat(plan.poolFallbacks()).extracting(PoolFallback::skippedPool, PoolFallback::nodePool)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("arm", "general"));
    assertThat(plan.poolFallbacks().getFirst().reason()).startsWith("NodePool arm limit cpu=16 would be exceeded")
        .endsWith("preferred node affinity dropped");
    plan.poolFallbacks().getFirst().pods().forEach(p -> assertThat(plan.nodeClaims().stream()
        .filter(c -> c.pods().contains(p)).findFirst().orElseThrow().nodePool()).isEqualTo("general"));
    assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour());
  }

  @Test
  void karpentersGettingStartedNodePoolPlansOnNitroTypesOfItsSizes() {
    // the NodePool of Karpenter's getting-started guide: it selects on labels Karpenter puts on every node
    NodePool gettingStarted = pool("default", 0, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.canonical("karpenter.k8s.aws/instance-category"), "c", "m", "r"),
        Requirement.in(WellKnownLabels.canonical("karpenter.k8s.aws/instance-cpu"), "4", "8", "16", "32"),
        Requirement.in(WellKnownLabels.canonical("karpenter.k8s.aws/instance-hypervisor"), "nitro"),
        new Requirement(WellKnownLabels.canonical("karpenter.k8s.aws/instance-generation"), Operator.Gt,
            List.of("2")),
        new Requirement(WellKnownLabels.canonical("karpenter.k8s.aws/instance-local-nvme"), Operator.DoesNotExist,
            List.of()));
    Plan plan = plan(replicas(web().build(), 40), gettingStarted);

    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> c.instanceTypes().forEach(option -> {
      var type = CATALOG.type(option.name());
      assertThat(type.hypervisor()).isEqualTo("nitro");
      assertThat(type.vcpu()).isIn(4, 8, 16, 32);
      assertThat(type.localNvmeGiB()).isZero();
    }));
  }

  @Test
  void aPoolWhoseRequirementNoTypeMeetsIsNamedInThePodsReason() {
    NodePool typo = pool("fast", 0, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.canonical("karpenter.k8s.aws/instance-hypervisor"), "nitr0"));
    Plan plan = plan(List.of(web().build()), typo);
    assertThat(plan.unschedulable()).singleElement().satisfies(u -> assertThat(u.reason())
        .isEqualTo("NodePool fast: no instance type meets flotilla.dev/instance-hypervisor In nitr0"));
  }

  @Test
  void aPodSelectingAGpuModelGetsThatModel() {
    NodePool gpu = pool("gpu", 0, List.of(), Resources.NONE,
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand"));
    PendingPod trainer = PendingPod.builder("ml/train-0").requests(Resources.of(2000, 8 * GIB)
        .with(Resources.NVIDIA_GPU, 1)).nodeSelector(Map.of(WellKnownLabels.canonical(
            "karpenter.k8s.aws/instance-gpu-name"), "l4")).build();
    Plan plan = plan(List.of(trainer), gpu);
    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> c.instanceTypes()
        .forEach(option -> assertThat(CATALOG.type(option.name()).gpuName()).isEqualTo("l4")));
  }

  @Test
  void aPodRequestingANeuronDeviceGetsAnInferentiaOrTrainiumNode() {
    PendingPod inference = PendingPod.builder("ml/infer-0").requests(Resources.of(2000, 8 * GIB)
        .with(Resources.NEURON, 1)).build();
    Plan plan = plan(List.of(inference));
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).singleElement().satisfies(c -> c.instanceTypes().forEach(option ->
        assertThat(CATALOG.type(option.name()).neuronDevices()).isPositive()));
  }

  @Test
  void aPodOrAPoolPinningTheRegionFindsItOnEveryNode() {
    // the cloud provider labels every node with its region: pinning it is no constraint in the catalog's region
    PendingPod pinned = web().nodeSelector(Map.of(WellKnownLabels.canonical("topology.kubernetes.io/region"),
        "us-east-1")).build();
    NodePool regional = pool("regional", 0, List.of(), Resources.NONE,
        Requirement.in("topology.kubernetes.io/region", "us-east-1"));
    assertThat(plan(replicas(pinned, 4), regional).unschedulable()).isEmpty();
    PendingPod elsewhere = web().nodeSelector(Map.of("topology.kubernetes.io/region", "eu-west-1")).build();
    assertThat(plan(List.of(elsewhere)).unschedulable()).singleElement()
        .satisfies(u -> assertThat(u.reason()).contains("topology.kubernetes.io/region"));
  }

  @Test
  void aPoolRequiringALabelOfItsOwnPlansForThePodsThatSelectIt() {
    NodePool teamA = dev.flotilla.manifest.NodePoolReader.read(dev.flotilla.manifest.Manifest.parse("p.yaml", """
        apiVersion: karpenter.sh/v1
        kind: NodePool
        metadata: {name: team-a}
        spec:
          template:
            spec:
              requirements:
                - {key: company.com/team, operator: In, values: [team-a]}
        """)).getFirst();
    PendingPod pod = web().nodeSelector(Map.of("company.com/team", "team-a")).build();
    Plan plan = plan(replicas(pod, 3), teamA);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).isNotEmpty().allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("team-a"));
  }

  @Test
  void podTooLargeForAnyTypeSaysWhichResource() {
    PendingPod huge = PendingPod.builder("shop/huge-0").requests(Resources.of(4000, 64L * 1024 * GIB)).build();
    Plan plan = plan(List.of(huge));
    assertThat(plan.unschedulable()).singleElement().satisfies(u ->
        assertThat(u.reason()).startsWith("requests memory=65536Gi but the most any allowed instance type has"));
  }

  @Test
  void extendedResourceNoTypeOffersIsNamed() {
    PendingPod fpga = PendingPod.builder("hw/fpga-0").requests(Resources.of(1000, GIB).with("xilinx.com/fpga", 1))
        .build();
    assertThat(plan(List.of(fpga)).unschedulable()).singleElement().satisfies(u ->
        assertThat(u.reason()).contains("xilinx.com/fpga=1 but no allowed instance type offers xilinx.com/fpga"));
  }

  @Test
  void unsatisfiableRequirementIsNamed() {
    PendingPod pod = web().nodeSelector(Map.of(WellKnownLabels.INSTANCE_FAMILY, "z9x")).build();
    assertThat(plan(List.of(pod)).unschedulable()).singleElement().satisfies(u ->
        assertThat(u.reason()).isEqualTo(
            "no instance type in NodePool(s) default satisfies flotilla.dev/instance-family In z9x"));
  }

  @Test
  void volumeInAZoneThePodMayNotUseIsNamed() {
    PendingPod pod = PendingPod.builder("data/pg-0").requests(Resources.of(1000, GIB))
        .volumeZones(Set.of("us-east-1d")).require(Requirement.in(WellKnownLabels.ZONE, "us-east-1a")).build();
    assertThat(plan(List.of(pod)).unschedulable()).singleElement().satisfies(u ->
        assertThat(u.reason()).isEqualTo("its zone requirements and volume zones [us-east-1d] leave no zone"));
  }

  @Test
  void zoneAffinityToPodsThatNoneRunsOrWaitsIsReportedNotGivenANode() {
    // the database scaled to zero: kube-scheduler places the API's pods nowhere until one runs again, so a node
    // launched for them would be deleted empty, and launched again the next minute
    PendingPod api = web().affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "db")), List.of()))).build();
    PendingPod self = web().labels(Map.of("app", "search")).affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE,
        LabelSelector.of(Map.of("app", "search")), List.of()))).build().withName("shop/search-0");

    Plan plan = plan(concat(replicas(api, 4), replicas(self, 3)));

    assertThat(plan.unschedulable()).hasSize(4).allSatisfy(u -> assertThat(u.reason())
        .isEqualTo("required pod affinity on topology.kubernetes.io/zone: no pod it selects runs or is pending"));
    // pods that select their own kind: the first of them may go anywhere, the others follow it
    assertThat(plan.placedPods()).isEqualTo(3);
    assertThat(plan.nodeClaims()).extracting(NodeClaim::zone).containsOnly(plan.nodeClaims().getFirst().zone());
  }

  @Test
  void minDomainsAboveTheZonesAPodMayUseCapsEachZoneAtMaxSkew() {
    // three zones allowed, minDomains 4: kube-scheduler weighs each zone against zero, so each takes two pods at most
    LabelSelector self = LabelSelector.of(Map.of("app", "web"));
    PendingPod pod = web().require(new Requirement(WellKnownLabels.ZONE, Operator.In,
        List.of("us-east-1a", "us-east-1b", "us-east-1c")))
        .spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 2, true, self, 4))).build();
    SchedulingInput input = new SchedulingInput(replicas(pod, 10), List.of(), CATALOG);

    Plan plan = SCHEDULER.schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.placedPods()).isEqualTo(6);
    assertThat(plan.unschedulable()).hasSize(4).allSatisfy(u -> assertThat(u.reason())
        .contains("its minDomains is 4 but only 3 zone(s) are eligible"));
    // minDomains within the zones allowed changes nothing
    PendingPod within = pod.toBuilder().spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 2, true, self, 3)))
        .build();
    assertThat(plan(replicas(within, 10)).unschedulable()).isEmpty();
  }

  @Test
  void zoneAffinityThatNoZoneCanMeetIsNamed() {
    PendingPod db = PendingPod.builder("shop/db-0").labels(Map.of("app", "db")).requests(Resources.of(1000, GIB))
        .require(Requirement.in(WellKnownLabels.ZONE, "us-east-1a")).build();
    PendingPod cache = web().require(Requirement.in(WellKnownLabels.ZONE, "us-east-1b"))
        .affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE, LabelSelector.of(Map.of("app", "db")), List.of())))
        .build();
    Plan plan = plan(List.of(db, cache));
    assertThat(plan.unschedulable()).extracting(Unschedulable::pod).contains("shop/web-0");
    assertThat(plan.unschedulable()).filteredOn(u -> u.pod().equals("shop/web-0")).singleElement()
        .satisfies(u -> assertThat(u.reason()).contains("required pod affinity on topology.kubernetes.io/zone"));
  }

  @Test
  void daemonSetsTakeTheirShareOfEveryNodeTheyMatch() {
    long allocatable = NodeCapacity.allocatable(CATALOG.type("m7i.large")).cpuMillis();
    PendingPod exact = PendingPod.builder("shop/exact-0").requests(Resources.of(allocatable, GIB))
        .require(Requirement.in(WellKnownLabels.INSTANCE_FAMILY, "m7i")).build();
    assertThat(plan(List.of(exact)).nodeClaims().getFirst().instanceType()).isEqualTo("m7i.large");

    PendingPod agent = PendingPod.builder("kube-system/agent").requests(Resources.of(100, 64L << 20)).build();
    SchedulingInput input = new SchedulingInput(List.of(exact), List.of(), CATALOG, List.of(agent), Map.of());
    Plan plan = SCHEDULER.schedule(input);
    PlanInvariants.check(input, plan);
    assertThat(plan.nodeClaims().getFirst().instanceType()).isEqualTo("m7i.xlarge");
  }

  @Test
  void aHostPortADaemonSetBindsIsNeverFreeOnTheNodesItRunsOn() {
    // a node exporter DaemonSet binds TCP/9100 on every node but the tainted pool's (it does not tolerate it): pods
    // that bind the same port only run there, and without that pool they cannot run anywhere, which the plan says
    // instead of launching nodes kube-scheduler would never use for them
    PendingPod exporter = PendingPod.builder("kube-system/node-exporter").requests(Resources.of(100, 64L << 20))
        .hostPorts(Set.of("TCP/9100")).build();
    PendingPod agent = web().hostPorts(Set.of("TCP/9100")).build();
    PendingPod other = PendingPod.builder("shop/other-0").requests(Resources.of(500, GIB))
        .hostPorts(Set.of("TCP/8080")).build();
    NodePool tainted = pool("edge", 0, List.of(new Taint("edge", "true", "NoSchedule")), Resources.NONE);
    PendingPod tolerating = web().tolerations(List.of(new Toleration("edge", "Exists", "", "NoSchedule")))
        .hostPorts(Set.of("TCP/9100")).build();

    SchedulingInput nowhere = new SchedulingInput(concat(replicas(agent, 3), replicas(other, 2)), List.of(), CATALOG,
        List.of(exporter), Map.of());
    Plan plan = SCHEDULER.schedule(nowhere);
    PlanInvariants.check(nowhere, plan);
    assertThat(plan.unschedulable()).hasSize(3).allSatisfy(u -> assertThat(u.reason()).isEqualTo(
        "host port(s) [TCP/9100] taken on every node it may run on, by DaemonSet(s) [kube-system/node-exporter]"));
    assertThat(plan.placedPods()).isEqualTo(2);

    // a DaemonSet kept to one zone takes its port in that zone only: pods binding it are not refused everywhere
    PendingPod zonal = PendingPod.builder("kube-system/zonal").requests(Resources.of(100, 64L << 20))
        .nodeSelector(Map.of(WellKnownLabels.ZONE, "us-east-1a")).hostPorts(Set.of("TCP/9300")).build();
    PendingPod beside = web().hostPorts(Set.of("TCP/9300")).build().withName("shop/beside-0");
    SchedulingInput oneZone = new SchedulingInput(replicas(beside, 2), List.of(), CATALOG, List.of(zonal), Map.of());
    assertThat(SCHEDULER.schedule(oneZone).unschedulable()).isEmpty();

    SchedulingInput edge = new SchedulingInput(replicas(tolerating, 3), List.of(NodePool.defaultPool(), tainted),
        CATALOG, List.of(exporter), Map.of());
    Plan onEdge = SCHEDULER.schedule(edge);
    PlanInvariants.check(edge, onEdge);
    assertThat(onEdge.unschedulable()).isEmpty();
    assertThat(onEdge.nodeClaims()).hasSize(3).allSatisfy(c -> assertThat(c.nodePool()).isEqualTo("edge"));
  }

  @Test
  void claimsRankAlternativesCheapestFirstUpToSixty() {
    Plan plan = plan(replicas(web().build(), 3));
    NodeClaim claim = plan.nodeClaims().getFirst();
    assertThat(claim.instanceTypes()).hasSizeBetween(2, Scheduler.MAX_INSTANCE_TYPES);
    assertThat(claim.instanceTypes()).extracting(InstanceTypeOption::pricePerHour).isSorted();
    assertThat(claim.instanceTypes().stream().map(InstanceTypeOption::name).collect(Collectors.toSet()))
        .hasSize(claim.instanceTypes().size());
  }

  @Test
  void mixedWorkloadsLandCloseToTheBound() {
    OfferingCatalog onDemand = OfferingCatalog.of(CatalogFile.bundled(), SpotPrices.none());
    double sum = 0;
    for (long seed = 1; seed <= 4; seed++) {
      Plan plan = SCHEDULER.schedule(new SchedulingInput(SyntheticWorkloads.mixed(2000, seed), List.of(), onDemand));
      assertThat(plan.unschedulable()).isEmpty();
      assertThat(plan.costRatio()).as("seed %d", seed).isBetween(1.0, 1.05);
      sum += plan.costRatio();
    }
    assertThat(sum / 4).isLessThan(1.04);
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
