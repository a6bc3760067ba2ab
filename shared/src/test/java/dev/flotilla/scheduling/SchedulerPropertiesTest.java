package dev.flotilla.scheduling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
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
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

class SchedulerPropertiesTest {

  private static final List<String> ZONES = List.of("prop-1a", "prop-1b", "prop-1c");
  private static final OfferingCatalog CATALOG = OfferingCatalog.of(catalog(), SpotPrices.ratio(0.4));
  private static final Taint BATCH_TAINT = new Taint("flotilla.dev/batch", "true", "NoSchedule");

  /** A workload: replicas of one pod with one kind of constraint. */
  record Workload(int replicas, long cpu, long memoryMiB, String constraint) {}

  @Property(tries = 50)
  void everyPlanKeepsEveryConstraintAndLimit(@ForAll("workloads") @Size(min = 1, max = 12) List<Workload> workloads,
      @ForAll("cpuLimits") long batchCpuLimit) {
    SchedulingInput input = input(workloads, batchCpuLimit);
    Plan plan = new Scheduler().schedule(input);
    PlanInvariants.check(input, plan);
    if (plan.unschedulable().isEmpty() && !inAnotherPoolsRoom(input, plan)) {
      // the bound prices every pod; it bounds the plan only when the plan places every pod
      assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour() - 1e-6);
    }
  }

  /**
   * Whether some pod is on a node of a pool its kind's own plan does not use: the bounds keep each class to its own
   * pools' shapes (its heaviest, the pools a zone spread's shares fall back to, those NodePool limits sent it to), so a
   * plan whose nodes take other pools' pods into their room may cost less. A kind's own pools are those of a plan of
   * its pods alone, and the pool the plan says its pod fell back to; for a kind with a topology spread, whose shares
   * the bound prices each on the pool it is pinned to, a pool counts only in the zones and capacity types that plan
   * uses it in. By pool alone, the share of a zone spread in the one zone an on-demand pool of greater weight sells
   * was counted at home on a spot node of the lighter pool its other share uses, and the bound, which prices that
   * share on the heavier pool's shapes, came out above the plan
   * ({@link #aSharePinnedToTheHeavierPoolsZoneOnALighterPoolsSpotNodeIsNotHeldToTheBound}).
   */
  private static boolean inAnotherPoolsRoom(SchedulingInput input, Plan plan) {
    Map<String, PendingPod> byName = new java.util.HashMap<>();
    input.pods().forEach(p -> byName.put(p.name(), p));
    Map<PendingPod, List<PendingPod>> byKind = new java.util.HashMap<>();
    input.pods().forEach(p -> byKind.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(p));
    Map<String, String> fellBackTo = new java.util.HashMap<>();
    plan.poolFallbacks().forEach(f -> f.pods().forEach(p -> fellBackTo.put(p, f.nodePool())));
    Map<PendingPod, Set<List<Object>>> own = new java.util.HashMap<>();
    for (NodeClaim claim : plan.nodeClaims()) {
      for (String name : claim.pods()) {
        Set<List<Object>> pools = own.computeIfAbsent(byName.get(name).kind(), k -> {
          Set<List<Object>> used = new java.util.HashSet<>();
          new Scheduler().schedule(new SchedulingInput(byKind.get(k), input.pools(), input.catalog(),
              input.daemonSets(), input.poolUsage())).nodeClaims().forEach(c -> used.add(where(k, c)));
          return used;
        });
        if (!pools.contains(where(byName.get(name).kind(), claim)) && !claim.nodePool().equals(fellBackTo.get(name))) {
          return true;
        }
      }
    }
    return false;
  }

  /** A claim's pool, and for a kind with a topology spread its zone and capacity type too. */
  private static List<Object> where(PendingPod kind, NodeClaim claim) {
    return kind.spreads().isEmpty() ? List.of(claim.nodePool())
        : List.of(claim.nodePool(), claim.zone(), claim.capacityType());
  }

  @Property(tries = 20)
  void theSameInputGivesTheSamePlan(@ForAll("workloads") @Size(min = 1, max = 12) List<Workload> workloads) {
    SchedulingInput input = input(workloads, 64_000);
    Plan first = new Scheduler().schedule(input);
    Plan second = new Scheduler().schedule(input);
    assertThat(second.nodeClaims()).isEqualTo(first.nodeClaims());
    assertThat(second.unschedulable()).isEqualTo(first.unschedulable());
    assertThat(second.lowerBoundPerHour()).isEqualTo(first.lowerBoundPerHour());
  }

  /**
   * A workload with any combination of constraints: spreads, affinity and anti-affinity on zone and hostname (on its
   * own pods or on a tier other workloads share), selectors, architecture, taints, host ports, volume zones, capacity
   * type and extended resources.
   */
  record MixedWorkload(int replicas, long cpu, long memoryMiB, Set<String> features) {}

  static final List<String> FEATURES = List.of("zone-spread", "zone-spread-2", "zone-spread-tier", "host-spread",
      "host-anti", "host-anti-tier", "zone-anti", "zone-affinity", "zone-affinity-tier", "arm64", "amd64", "batch",
      "port", "volume-b", "zones-ab", "spot-only", "gpu", "host-affinity", "host-affinity-tier", "capacity-spread",
      "ds-port", "tier", "tier", "tier", "other-ns", "host-anti-tier-any-ns");

  /**
   * Found by the property below (seed 269574305325231383): the zone-spread pods' heaviest pool, {@code narrow}, sells
   * on-demand in prop-1a alone, so the bound prices their prop-1a share there; the plan puts that pod on the spot node
   * of {@code general} opened in prop-1a for the spot-only pod, two c7g.2x spot nodes for $0.050220/h against a bound of
   * $0.050227/h. The pod is in another pool's room, as the plan may put it, and the bound does not hold it: the check
   * leaves the plan out.
   */
  @org.junit.jupiter.api.Test
  void aSharePinnedToTheHeavierPoolsZoneOnALighterPoolsSpotNodeIsNotHeldToTheBound() {
    SchedulingInput input = mixedInput(List.of(new MixedWorkload(1, 50, 64, Set.of("spot-only")),
        new MixedWorkload(2, 1152, 64, Set.of("zone-spread"))), 8000, 8000);
    Plan plan = new Scheduler().schedule(input);

    PlanInvariants.check(input, plan);
    assertThat(plan.unschedulable()).isEmpty();
    assertThat(plan.nodeClaims()).anySatisfy(c -> {
      assertThat(c.nodePool()).isEqualTo("general");
      assertThat(c.zone()).isEqualTo("prop-1a");
      assertThat(c.pods()).anyMatch(p -> p.startsWith("ns/m1-"));
    });
    assertThat(inAnotherPoolsRoom(input, plan)).isTrue();
  }

  @Property(tries = 60)
  void everyConstraintKindInOneMixKeepsEveryConstraintAndLimit(
      @ForAll("mixedWorkloads") @Size(min = 1, max = 24) List<MixedWorkload> workloads,
      @ForAll("cpuLimits") long generalCpuLimit, @ForAll("cpuLimits") long batchCpuLimit) {
    SchedulingInput input = mixedInput(workloads, generalCpuLimit, batchCpuLimit);
    Plan plan = new Scheduler().schedule(input);
    PlanInvariants.check(input, plan);
    assertThat(plan.zoneBoundPerHour()).isGreaterThanOrEqualTo(plan.lowerBoundPerHour());
    if (plan.unschedulable().isEmpty() && !inAnotherPoolsRoom(input, plan)) {
      // the plan keeps the zones it pinned shares to, so the bound of plans that do bounds it too
      assertThat(plan.totalPricePerHour()).isGreaterThanOrEqualTo(plan.zoneBoundPerHour() - 1e-6);
    }
  }

  @org.junit.jupiter.api.Test
  void zoneSpreadBesideZoneAffinityAndAHostPortInOneWorkloadKeepsItsSkew() {
    // found by the property above (seed 7196325023546064969), shrunk
    List<MixedWorkload> workloads = List.of(
        new MixedWorkload(2, 50, 64, Set.of("amd64", "tier")),
        new MixedWorkload(1, 50, 64, Set.of()),
        new MixedWorkload(1, 50, 64, Set.of("tier", "volume-b")),
        new MixedWorkload(1, 1729, 14272, Set.of()),
        new MixedWorkload(2, 5473, 19087, Set.of("arm64", "tier", "zones-ab")),
        new MixedWorkload(48, 250, 69, Set.of()),
        new MixedWorkload(14, 114, 1767, Set.of("gpu", "spot-only")),
        new MixedWorkload(31, 50, 64, Set.of()),
        new MixedWorkload(4, 2996, 17446, Set.of("volume-b", "zone-anti")),
        new MixedWorkload(263, 94, 4522, Set.of("volume-b")),
        new MixedWorkload(28, 106, 295, Set.of()),
        new MixedWorkload(29, 56, 145, Set.of("zone-spread-tier")),
        new MixedWorkload(299, 51, 65, Set.of()),
        new MixedWorkload(276, 103, 1121, Set.of("batch", "host-anti", "gpu")),
        new MixedWorkload(282, 1416, 149, Set.of("port", "zone-affinity-tier", "zone-spread-2")));
    SchedulingInput input = mixedInput(workloads, 8000, 8000);
    PlanInvariants.check(input, new Scheduler().schedule(input));
  }

  @Property(tries = 15)
  void everyConstraintKindInOneMixGivesTheSamePlanTwice(
      @ForAll("mixedWorkloads") @Size(min = 1, max = 24) List<MixedWorkload> workloads,
      @ForAll("cpuLimits") long generalCpuLimit) {
    SchedulingInput input = mixedInput(workloads, generalCpuLimit, 8_000);
    Plan first = new Scheduler().schedule(input);
    Plan second = new Scheduler().schedule(input);
    assertThat(second.nodeClaims()).isEqualTo(first.nodeClaims());
    assertThat(second.unschedulable()).isEqualTo(first.unschedulable());
    assertThat(second.poolFallbacks()).isEqualTo(first.poolFallbacks());
  }

  /**
   * A scheduler that keeps the pattern programs it solved plans as one that solves each afresh, the first time and
   * the second, when every program is answered from those kept; and beside other inputs asked in between.
   */
  @Property(tries = 15)
  void aSchedulerKeepingSolvedProgramsPlansAsOneThatSolvesEachAfresh(
      @ForAll("mixedWorkloads") @Size(min = 1, max = 24) List<MixedWorkload> workloads,
      @ForAll("mixedWorkloads") @Size(min = 1, max = 24) List<MixedWorkload> others,
      @ForAll("cpuLimits") long generalCpuLimit, @ForAll Scheduler.Choice choice,
      @ForAll Scheduler.Domains domains) {
    SchedulingInput input = mixedInput(workloads, generalCpuLimit, 8_000);
    SchedulingInput other = mixedInput(others, generalCpuLimit, 8_000);
    Scheduler keeping = Scheduler.keepingSolvedPrograms(choice, domains);
    Plan afresh = new Scheduler(choice, domains).placement(input);

    Plan first = keeping.placement(input);
    Plan beside = keeping.placement(other);
    Plan again = keeping.placement(input);

    for (Plan plan : List.of(first, again)) {
      assertThat(plan.nodeClaims()).isEqualTo(afresh.nodeClaims());
      assertThat(plan.inFlightPlacements()).isEqualTo(afresh.inFlightPlacements());
      assertThat(plan.unschedulable()).isEqualTo(afresh.unschedulable());
    }
    assertThat(beside.nodeClaims()).isEqualTo(new Scheduler(choice, domains).placement(other).nodeClaims());
  }

  @Property(tries = 30)
  void aPlacementIsTheSchedulingsPlanWithoutTheBoundThePackingDoesNotFollow(
      @ForAll("mixedWorkloads") @Size(min = 1, max = 24) List<MixedWorkload> workloads,
      @ForAll("cpuLimits") long generalCpuLimit, @ForAll Scheduler.Choice choice,
      @ForAll Scheduler.Domains domains) {
    SchedulingInput input = mixedInput(workloads, generalCpuLimit, 8_000);
    Plan scheduled = new Scheduler(choice, domains).schedule(input);
    Plan placed = new Scheduler(choice, domains).placement(input);
    assertThat(placed.nodeClaims()).isEqualTo(scheduled.nodeClaims());
    assertThat(placed.inFlightPlacements()).isEqualTo(scheduled.inFlightPlacements());
    assertThat(placed.unschedulable()).isEqualTo(scheduled.unschedulable());
    assertThat(placed.poolFallbacks()).isEqualTo(scheduled.poolFallbacks());
    assertThat(placed.totalPricePerHour()).isEqualTo(scheduled.totalPricePerHour());
    // either the same bound, or none where the packing followed the zone-pinned program (whose optimum is the
    // zone bound when no pool fell back)
    if (!Double.isNaN(placed.lowerBoundPerHour())) {
      assertThat(placed.lowerBoundPerHour()).isEqualTo(scheduled.lowerBoundPerHour());
      assertThat(placed.zoneBoundPerHour()).isEqualTo(scheduled.zoneBoundPerHour());
    } else if (!Double.isNaN(placed.zoneBoundPerHour())) {
      assertThat(placed.zoneBoundPerHour()).isLessThanOrEqualTo(scheduled.zoneBoundPerHour());
    }
  }

  @Provide
  Arbitrary<List<MixedWorkload>> mixedWorkloads() {
    Arbitrary<MixedWorkload> one = Combinators.combine(
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(1, 30)),
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(30, 300))),
        Arbitraries.longs().between(50, 6000),
        Arbitraries.longs().between(64, 24 * 1024),
        Arbitraries.of(FEATURES).set().ofMaxSize(3)).as(MixedWorkload::new);
    return one.list();
  }

  static SchedulingInput mixedInput(List<MixedWorkload> workloads, long generalCpuLimit, long batchCpuLimit) {
    List<PendingPod> pods = new ArrayList<>();
    LabelSelector tier = LabelSelector.of(Map.of("tier", "shared"));
    for (int w = 0; w < workloads.size(); w++) {
      MixedWorkload wl = workloads.get(w);
      Set<String> f = wl.features();
      Map<String, String> labels = new java.util.HashMap<>(Map.of("app", "m" + w));
      if (f.contains("tier")) {
        labels.put("tier", "shared");
      }
      LabelSelector self = LabelSelector.of(Map.of("app", "m" + w));
      Resources requests = Resources.of(wl.cpu(), wl.memoryMiB() << 20);
      List<TopologySpread> spreads = new ArrayList<>();
      List<PodAffinityTerm> affinity = new ArrayList<>();
      List<PodAffinityTerm> anti = new ArrayList<>();
      Map<String, String> selector = new java.util.HashMap<>();
      // a second namespace: spreads and affinity look in their own, a namespaceSelector of {} in every one
      String ns = f.contains("other-ns") ? "other" : "ns";
      PendingPod.Builder b = PendingPod.builder(ns + "/m" + w + "-0").namespace(ns).labels(labels)
          .ownerKind("ReplicaSet");
      for (String feature : f) {
        switch (feature) {
          case "zone-spread" -> spreads.add(new TopologySpread(WellKnownLabels.ZONE, 1, true, self));
          case "zone-spread-2" -> spreads.add(new TopologySpread(WellKnownLabels.ZONE, 2, true, self));
          case "zone-spread-tier" -> spreads.add(new TopologySpread(WellKnownLabels.ZONE, 1, true, tier));
          case "host-spread" -> spreads.add(new TopologySpread(WellKnownLabels.HOSTNAME, 2, true, self));
          case "host-anti" -> anti.add(new PodAffinityTerm(WellKnownLabels.HOSTNAME, self, List.of()));
          case "host-anti-tier" -> anti.add(new PodAffinityTerm(WellKnownLabels.HOSTNAME, tier, List.of()));
          case "host-anti-tier-any-ns" -> anti.add(new PodAffinityTerm(WellKnownLabels.HOSTNAME, tier, List.of(), true));
          case "zone-anti" -> anti.add(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of()));
          case "zone-affinity" -> affinity.add(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of()));
          case "zone-affinity-tier" -> affinity.add(new PodAffinityTerm(WellKnownLabels.ZONE, tier, List.of()));
          case "host-affinity" -> affinity.add(new PodAffinityTerm(WellKnownLabels.HOSTNAME, self, List.of()));
          case "host-affinity-tier" -> affinity.add(new PodAffinityTerm(WellKnownLabels.HOSTNAME, tier, List.of()));
          case "capacity-spread" -> spreads.add(new TopologySpread(WellKnownLabels.CAPACITY_TYPE, 1, true, self));
          case "arm64" -> selector.put(WellKnownLabels.ARCH, "arm64");
          case "amd64" -> selector.put(WellKnownLabels.ARCH, "amd64");
          case "batch" -> {
            b.tolerations(List.of(new Toleration("flotilla.dev/batch", "Exists", "", "NoSchedule")));
            selector.put("workload", "batch");
          }
          case "port" -> b.hostPorts(Set.of("TCP/9100"));
          // the port the proxy DaemonSet binds on every node but the batch pool's
          case "ds-port" -> b.hostPorts(Set.of("TCP/9200"));
          case "volume-b" -> b.volumeZones(Set.of("prop-1b"));
          case "zones-ab" -> b.require(new Requirement(WellKnownLabels.ZONE, Operator.In, List.of("prop-1a", "prop-1b")));
          case "spot-only" -> selector.put(WellKnownLabels.CAPACITY_TYPE, "spot");
          case "gpu" -> requests = requests.with(Resources.NVIDIA_GPU, 1);
          default -> { }
        }
      }
      PendingPod template = b.nodeSelector(selector).spreads(spreads).affinity(affinity).antiAffinity(anti)
          .requests(requests).build();
      for (int i = 0; i < wl.replicas(); i++) {
        pods.add(template.withName(ns + "/m" + w + "-" + i));
      }
    }
    NodePool general = new NodePool("general", List.of(
        new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("on-demand", "spot"))),
        Map.of(), List.of(), List.of(), Resources.of(Resources.CPU, generalCpuLimit), 10, null);
    NodePool arm = new NodePool("arm", List.of(Requirement.in(WellKnownLabels.ARCH, "arm64")),
        Map.of(), List.of(), List.of(), Resources.NONE, 5, null);
    // the heaviest pool sells one zone only: a zone spread's other domains are the lighter pools'
    NodePool narrow = new NodePool("narrow", List.of(Requirement.in(WellKnownLabels.ZONE, ZONES.getFirst()),
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, "on-demand")), Map.of(), List.of(), List.of(), Resources.NONE,
        20, null);
    NodePool batch = new NodePool("batch", List.of(
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, CapacityType.SPOT.label())),
        Map.of("workload", "batch"), List.of(BATCH_TAINT), List.of(), Resources.of(Resources.CPU, batchCpuLimit), 0,
        null);
    PendingPod daemon = PendingPod.builder("kube-system/node-exporter")
        .requests(Resources.of(100, 128L << 20)).ownerKind("DaemonSet").build();
    PendingPod proxy = PendingPod.builder("kube-system/proxy").requests(Resources.of(50, 64L << 20))
        .hostPorts(Set.of("TCP/9200")).ownerKind("DaemonSet").build();
    return new SchedulingInput(pods, List.of(general, arm, batch, narrow), CATALOG, List.of(daemon, proxy),
        Map.of());
  }

  @Provide
  Arbitrary<List<Workload>> workloads() {
    Arbitrary<Workload> one = Combinators.combine(
        Arbitraries.integers().between(1, 25),
        Arbitraries.longs().between(50, 6000),
        Arbitraries.longs().between(64, 24 * 1024),
        Arbitraries.of("none", "arm64", "zone-spread", "host-anti", "host-spread", "zone-affinity", "zone-anti",
            "batch", "port", "zone-b", "spot-only", "gpu")).as(Workload::new);
    return one.list();
  }

  @Provide
  Arbitrary<Long> cpuLimits() {
    return Arbitraries.of(8_000L, 64_000L, 1_000_000L);
  }

  private static SchedulingInput input(List<Workload> workloads, long batchCpuLimit) {
    List<PendingPod> pods = new ArrayList<>();
    for (int w = 0; w < workloads.size(); w++) {
      Workload wl = workloads.get(w);
      Map<String, String> labels = Map.of("app", "w" + w);
      LabelSelector self = LabelSelector.of(labels);
      Resources requests = Resources.of(wl.cpu(), wl.memoryMiB() << 20);
      PendingPod.Builder b = PendingPod.builder("ns/w" + w + "-0").labels(labels).ownerKind("ReplicaSet");
      switch (wl.constraint()) {
        case "arm64" -> b.nodeSelector(Map.of(WellKnownLabels.ARCH, "arm64"));
        case "zone-spread" -> b.spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, self)));
        case "host-spread" -> b.spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 2, true, self)));
        case "host-anti" -> b.antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, self, List.of())));
        case "zone-anti" -> b.antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of())));
        case "zone-affinity" -> b.affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of())));
        case "batch" -> b.tolerations(List.of(new Toleration("flotilla.dev/batch", "Exists", "", "NoSchedule")))
            .nodeSelector(Map.of("workload", "batch"));
        case "port" -> b.hostPorts(Set.of("TCP/9100"));
        case "zone-b" -> b.require(new Requirement(WellKnownLabels.ZONE, Operator.In, List.of("prop-1b")));
        case "spot-only" -> b.nodeSelector(Map.of(WellKnownLabels.CAPACITY_TYPE, "spot"));
        case "gpu" -> requests = requests.with(Resources.NVIDIA_GPU, 1);
        default -> { }
      }
      PendingPod template = b.requests(requests).build();
      for (int i = 0; i < wl.replicas(); i++) {
        pods.add(template.withName("ns/w" + w + "-" + i));
      }
    }
    NodePool general = new NodePool("general", List.of(
        new Requirement(WellKnownLabels.CAPACITY_TYPE, Operator.In, List.of("on-demand", "spot"))),
        Map.of(), List.of(), List.of(), Resources.NONE, 10, null);
    NodePool batch = new NodePool("batch", List.of(
        Requirement.in(WellKnownLabels.CAPACITY_TYPE, CapacityType.SPOT.label())),
        Map.of("workload", "batch"), List.of(BATCH_TAINT), List.of(), Resources.of(Resources.CPU, batchCpuLimit), 0,
        null);
    PendingPod daemon = PendingPod.builder("kube-system/node-exporter")
        .requests(Resources.of(100, 128L << 20)).ownerKind("DaemonSet").build();
    return new SchedulingInput(pods, List.of(general, batch), CATALOG, List.of(daemon), Map.of());
  }

  private static CatalogFile catalog() {
    List<InstanceType> types = new ArrayList<>();
    String[][] families = {{"c", "2"}, {"m", "4"}, {"r", "8"}};
    int[] sizes = {2, 4, 8, 16, 32, 64};
    for (String arch : List.of("amd64", "arm64")) {
      for (String[] f : families) {
        for (int vcpu : sizes) {
          String family = f[0] + (arch.equals("arm64") ? "7g" : "7i");
          long memory = vcpu * Long.parseLong(f[1]) * 1024;
          double price = vcpu * (f[0].equals("c") ? 0.036 : f[0].equals("m") ? 0.045 : 0.06)
              * (arch.equals("arm64") ? 0.85 : 1.0);
          types.add(new InstanceType(family + "." + vcpu + "x", family, vcpu, memory, arch, 0, 0,
              Math.min(234, 8 + vcpu * 7), price, ZONES, true, false, 0, 0));
        }
      }
    }
    types.add(new InstanceType("g7.8x", "g7", 8, 32768, "amd64", 1, 24576, 58, 1.2, ZONES, true, false, 0, 0));
    types.add(new InstanceType("g7.48x", "g7", 48, 196608, "amd64", 4, 98304, 234, 5.6, ZONES, true, false, 0, 0));
    return new CatalogFile("prop-1", List.of("synthetic"), ZONES, types);
  }
}
