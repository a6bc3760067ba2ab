package dev.flotilla.scheduling;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.model.LabelSelector;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.PodAffinityTerm;
import dev.flotilla.model.Resources;
import dev.flotilla.model.TopologySpread;
import dev.flotilla.model.WellKnownLabels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Reproducible workloads and catalogs for benchmarks and property tests. Fixed seeds: every run sees the same pods. */
public final class SyntheticWorkloads {

  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  private SyntheticWorkloads() {}

  /**
   * The catalog of Karpenter's scheduling benchmark: type i has i+1 vCPU, 2(i+1) GiB and 10(i+1) pods, priced in
   * proportion to its size, offered in three zones.
   */
  public static CatalogFile karpenterCatalog(int count) {
    List<InstanceType> types = new ArrayList<>();
    List<String> zones = List.of("test-zone-1", "test-zone-2", "test-zone-3");
    for (int i = 0; i < count; i++) {
      types.add(new InstanceType(String.format("fake-it-%03d.size", i), "fake", i + 1, 2048L * (i + 1), "amd64", 0, 0,
          10 * (i + 1), 0.05 * (i + 1), zones, true, false, 0, 0));
    }
    return new CatalogFile("test", List.of("synthetic: Karpenter scheduling benchmark instance types"), zones, types);
  }

  /**
   * Karpenter's benchmark mix: one fifth each of plain pods, zone spread (maxSkew 1), hostname spread (maxSkew 1),
   * zone self-affinity and hostname anti-affinity; each pod requests 100–1500m CPU and 100Mi–4Gi memory.
   */
  public static List<PendingPod> karpenterMix(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<PendingPod> pods = new ArrayList<>(count);
    String[] kinds = {"plain", "zone-spread", "host-spread", "zone-affinity", "host-anti-affinity"};
    for (int i = 0; i < count; i++) {
      String kind = kinds[i * kinds.length / count];
      Map<String, String> labels = Map.of("app", kind);
      LabelSelector self = LabelSelector.of(labels);
      PendingPod.Builder b = PendingPod.builder("bench/" + kind + "-" + i).labels(labels).ownerKind("ReplicaSet")
          .requests(Resources.of(100 + random.nextInt(1401), (100 + random.nextInt(4 * 1024 - 100 + 1)) * MIB));
      switch (kind) {
        case "zone-spread" -> b.spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, self)));
        case "host-spread" -> b.spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 1, true, self)));
        case "zone-affinity" -> b.affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of())));
        case "host-anti-affinity" ->
            b.antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, self, List.of())));
        default -> { }
      }
      pods.add(b.build());
    }
    return pods;
  }

  /**
   * A mixed workload: deployments of fifteen shapes (web, API, workers, caches, batch), CPU-heavy to memory-heavy,
   * with replica counts drawn to add up to {@code count} pods.
   */
  public static List<PendingPod> mixed(int count, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[][] shapes = {
        {250, 512 * MIB}, {500, GIB}, {1000, 2 * GIB}, {2000, 4 * GIB}, {100, 256 * MIB},
        {1000, 8 * GIB}, {500, 4 * GIB}, {4000, 8 * GIB}, {2000, 16 * GIB}, {250, 2 * GIB},
        {3000, 2 * GIB}, {1500, 6 * GIB}, {750, 1536 * MIB}, {8000, 32 * GIB}, {200, 3 * GIB}};
    List<PendingPod> pods = new ArrayList<>(count);
    int workload = 0;
    while (pods.size() < count) {
      long[] shape = shapes[random.nextInt(shapes.length)];
      int replicas = Math.min(count - pods.size(), 5 + random.nextInt(Math.max(6, count / 12)));
      PendingPod template = PendingPod.builder("default/w" + workload + "-0")
          .labels(Map.of("app", "w" + workload)).ownerKind("ReplicaSet")
          .requests(Resources.of(shape[0], shape[1])).build();
      for (int i = 0; i < replicas; i++) {
        pods.add(template.withName("default/w" + workload + "-" + i));
      }
      workload++;
    }
    return pods;
  }

  /**
   * A mix of {@code kinds} deployments, each of its own requests (100m to 8 CPU, 0.5 to 8 GiB per CPU), with replica
   * counts drawn to add up to {@code count} pods: the many kinds of a real cluster's deployments.
   */
  public static List<PendingPod> kinds(int count, int kinds, long seed) {
    return kinds(count, kinds, seed, false);
  }

  /** The roles a deployment of {@link #kinds(int, int, long, boolean)} with topology takes, and their shares. */
  private enum Role {
    PLAIN(0), ZONE_SPREAD(0.12), HOSTNAME_SPREAD(0.08), ZONE_AFFINITY(0.05), HOSTNAME_ANTI_AFFINITY(0.08);

    final double share;

    Role(double share) {
      this.share = share;
    }

    boolean perNode() {
      return this == HOSTNAME_SPREAD || this == HOSTNAME_ANTI_AFFINITY;
    }
  }

  /**
   * As {@link #kinds(int, int, long)}; {@code withTopology} gives a minority of deployments each kind of topology, as
   * in a real cluster: zone spread (maxSkew 1, DoNotSchedule) on about 12%, hostname spread (maxSkew 1) on 8%, zone
   * self-affinity on 5%, hostname anti-affinity on 8%, at least one of each; and, independently, a node selector on
   * the CPU architecture (arm64 or amd64) on 15%. Deployments that take a node per pod (hostname spread and
   * anti-affinity) run 3 to 40 replicas, as such deployments do; the other deployments take the rest.
   */
  public static List<PendingPod> kinds(int count, int kinds, long seed, boolean withTopology) {
    long topologies = java.util.Arrays.stream(Role.values()).filter(r -> r != Role.PLAIN).count();
    if (withTopology && kinds < topologies) {
      throw new IllegalArgumentException("kinds: at least " + topologies + " with topology (one deployment of each"
          + " kind of topology), got " + kinds);
    }
    SplittableRandom random = new SplittableRandom(seed * 7919 + kinds);
    java.util.Set<String> seen = new java.util.HashSet<>();
    long[][] requests = new long[kinds][];
    for (int k = 0; k < kinds; k++) {
      long cpu;
      long memory;
      do {
        cpu = 50L * (2 + random.nextInt(159));
        double perCpu = 0.5 * Math.pow(16, random.nextDouble());
        memory = Math.max(64, Math.round(cpu / 1000.0 * perCpu * 1024 / 64) * 64) * MIB;
      } while (!seen.add(cpu + "/" + memory));
      requests[k] = new long[] {cpu, memory};
    }
    double[] weights = new double[kinds];
    for (int k = 0; k < kinds; k++) {
      weights[k] = 0.2 + random.nextDouble();
    }
    Role[] roles = new Role[kinds];
    java.util.Arrays.fill(roles, Role.PLAIN);
    String[] arch = new String[kinds];
    if (withTopology) {
      // shuffled deployment order, then each role takes its share of it
      int[] order = new int[kinds];
      for (int k = 0; k < kinds; k++) {
        order[k] = k;
      }
      for (int k = kinds - 1; k > 0; k--) {
        int j = random.nextInt(k + 1);
        int t = order[k];
        order[k] = order[j];
        order[j] = t;
      }
      int next = 0;
      for (Role role : Role.values()) {
        for (int n = 0; role != Role.PLAIN && n < Math.max(1, (int) Math.round(kinds * role.share)); n++) {
          roles[order[next++]] = role;
        }
      }
      for (int k = 0; k < kinds; k++) {
        if (random.nextDouble() < 0.15) {
          arch[k] = random.nextBoolean() ? "arm64" : "amd64";
        }
      }
    }
    int[] replicas = new int[kinds];
    int assigned = 0;
    double plainWeight = 0;
    for (int k = 0; k < kinds; k++) {
      plainWeight += roles[k].perNode() ? 0 : weights[k];
    }
    int perNodePods = 0;
    for (int k = 0; k < kinds; k++) {
      if (roles[k].perNode()) {
        replicas[k] = Math.min(3 + random.nextInt(38), Math.max(1, count / kinds));
        perNodePods += replicas[k];
      }
    }
    for (int k = 0; k < kinds; k++) {
      if (!roles[k].perNode()) {
        replicas[k] = Math.max(1, (int) Math.floor((count - perNodePods) * weights[k] / plainWeight));
      }
      assigned += replicas[k];
    }
    for (int k = 0; assigned != count; k = (k + 1) % kinds) {
      if (roles[k].perNode()) {
        continue;
      }
      if (assigned < count) {
        replicas[k]++;
        assigned++;
      } else if (replicas[k] > 1) {
        replicas[k]--;
        assigned--;
      }
    }
    List<PendingPod> pods = new ArrayList<>(count);
    for (int k = 0; k < kinds; k++) {
      Map<String, String> labels = Map.of("app", "k" + k);
      LabelSelector self = LabelSelector.of(labels);
      PendingPod.Builder b = PendingPod.builder("default/k" + k + "-0").labels(labels)
          .ownerKind("ReplicaSet").requests(Resources.of(requests[k][0], requests[k][1]));
      switch (roles[k]) {
        case ZONE_SPREAD -> b.spreads(List.of(new TopologySpread(WellKnownLabels.ZONE, 1, true, self)));
        case HOSTNAME_SPREAD -> b.spreads(List.of(new TopologySpread(WellKnownLabels.HOSTNAME, 1, true, self)));
        case ZONE_AFFINITY -> b.affinity(List.of(new PodAffinityTerm(WellKnownLabels.ZONE, self, List.of())));
        case HOSTNAME_ANTI_AFFINITY ->
            b.antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, self, List.of())));
        case PLAIN -> { }
      }
      if (arch[k] != null) {
        b.nodeSelector(Map.of(WellKnownLabels.ARCH, arch[k]));
      }
      PendingPod template = b.build();
      for (int i = 0; i < replicas[k]; i++) {
        pods.add(template.withName("default/k" + k + "-" + i));
      }
    }
    return pods;
  }

  /**
   * A store of {@code shards} pods (500m, 2 GiB), one per node by hostname anti-affinity, beside {@code kinds}
   * deployments of small services (100–450m, 256 MiB–1.6 GiB, each its own requests; at most 352 kinds) with six
   * pods a shard in all: pods that need a node each
   * set how many nodes there are, and the services fill them, as a sharded database or a per-node cache does in a
   * cluster of small services.
   */
  public static List<PendingPod> shardedStore(int shards, int kinds, long seed) {
    if (kinds > 352) {
      throw new IllegalArgumentException("a store's services have at most 352 kinds of requests, not " + kinds);
    }
    SplittableRandom random = new SplittableRandom(seed * 31 + kinds);
    List<PendingPod> pods = new ArrayList<>(shards * 7);
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int k = 0; k < kinds; k++) {
      long cpu;
      long memory;
      do {
        cpu = 50L * (2 + random.nextInt(8));
        memory = (256 + 32L * random.nextInt(44)) * MIB;
      } while (!seen.add(cpu + "/" + memory));
      PendingPod service = PendingPod.builder("shop/svc" + k + "-0").labels(Map.of("app", "svc" + k))
          .ownerKind("ReplicaSet").requests(Resources.of(cpu, memory)).build();
      int replicas = shards * 6 / kinds + (k < shards * 6 % kinds ? 1 : 0);
      for (int i = 0; i < replicas; i++) {
        pods.add(service.withName("shop/svc" + k + "-" + i));
      }
    }
    Map<String, String> labels = Map.of("app", "shard");
    PendingPod shard = PendingPod.builder("store/shard-0").labels(labels).ownerKind("StatefulSet")
        .requests(Resources.of(500, 2 * GIB))
        .antiAffinity(List.of(new PodAffinityTerm(WellKnownLabels.HOSTNAME, LabelSelector.of(labels), List.of())))
        .build();
    for (int i = 0; i < shards; i++) {
      pods.add(shard.withName("store/shard-" + i));
    }
    return pods;
  }
}
