package dev.flotilla.scheduling;

import dev.flotilla.catalog.CatalogFile;
import dev.flotilla.catalog.InstanceType;
import dev.flotilla.catalog.OfferingCatalog;
import dev.flotilla.catalog.SpotPrices;
import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Catalogs and workloads shared by the scheduler's tests and benchmarks. */
public final class Fixtures {

  public static final long MIB = 1L << 20;
  public static final long GIB = 1L << 30;
  private static final CatalogFile BUNDLED = CatalogFile.bundled();

  private Fixtures() {}

  public static OfferingCatalog usEast1() {
    return OfferingCatalog.of(BUNDLED, SpotPrices.ratio(0.35));
  }

  public static OfferingCatalog usEast1OnDemand() {
    return OfferingCatalog.of(BUNDLED, SpotPrices.none());
  }

  /**
   * Karpenter's benchmark catalog: type i has i+1 vCPU, 2(i+1) GiB and 10(i+1) pods, priced in proportion, in three
   * zones.
   */
  public static CatalogFile syntheticCatalog(int count) {
    List<InstanceType> types = new ArrayList<>();
    List<String> zones = List.of("test-1a", "test-1b", "test-1c");
    for (int i = 0; i < count; i++) {
      types.add(new InstanceType(String.format("fake-%03d.size", i), "fake", i + 1, 2048L * (i + 1), "amd64", 0, 0,
          10 * (i + 1), 0.05 * (i + 1), zones, true, false, 0, 0));
    }
    return new CatalogFile("test-1", List.of("synthetic"), zones, types);
  }

  public static PendingPod pod(String name, long cpuMillis, long memoryBytes) {
    return PendingPod.simple(name, Resources.of(cpuMillis, memoryBytes));
  }

  /** {@code count} replicas of one workload. */
  public static List<PendingPod> replicas(String workload, int count, long cpuMillis, long memoryBytes,
      Map<String, String> labels) {
    PendingPod template = PendingPod.builder("default/" + workload + "-0").labels(labels)
        .requests(Resources.of(cpuMillis, memoryBytes)).ownerKind("ReplicaSet").build();
    List<PendingPod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pods.add(template.withName("default/" + workload + "-" + i));
    }
    return pods;
  }

  /**
   * A mixed workload: deployments of many shapes (web, api, workers, caches, batch), some CPU-heavy, some
   * memory-heavy, sized to add up to about {@code pods} pods. Fixed seed, so every run packs the same pods.
   */
  public static List<PendingPod> mixedWorkload(int pods, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long[][] shapes = {
        {250, 512 * MIB}, {500, 1 * GIB}, {1000, 2 * GIB}, {2000, 4 * GIB}, {100, 256 * MIB},
        {1000, 8 * GIB}, {500, 4 * GIB}, {4000, 8 * GIB}, {2000, 16 * GIB}, {250, 2 * GIB},
        {3000, 2 * GIB}, {1500, 6 * GIB}, {750, 1536 * MIB}, {8000, 32 * GIB}, {200, 3 * GIB}};
    List<PendingPod> result = new ArrayList<>();
    int workload = 0;
    while (result.size() < pods) {
      long[] shape = shapes[random.nextInt(shapes.length)];
      int replicas = Math.min(pods - result.size(), 5 + random.nextInt(Math.max(6, pods / 12)));
      result.addAll(replicas("w" + workload, replicas, shape[0], shape[1], Map.of("app", "w" + workload)));
      workload++;
    }
    return result;
  }
}
