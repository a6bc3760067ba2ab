package dev.flotilla.catalog;

import dev.flotilla.model.WellKnownLabels;
import java.util.LinkedHashMap;
import java.util.Map;

/** The labels a node of an instance type carries, in Flotilla's spelling; zone and capacity type come from the offering. */
public final class NodeLabels {

  private NodeLabels() {}

  // every scheduling decision asks for every type's labels; they never change
  private static final Map<InstanceType, Map<String, String>> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

  public static Map<String, String> of(InstanceType type) {
    return CACHE.computeIfAbsent(type, NodeLabels::compute);
  }

  private static Map<String, String> compute(InstanceType type) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(WellKnownLabels.ARCH, type.arch());
    labels.put(WellKnownLabels.OS, "linux");
    labels.put(WellKnownLabels.INSTANCE_TYPE, type.name());
    labels.put(WellKnownLabels.INSTANCE_CATEGORY, type.category());
    labels.put(WellKnownLabels.INSTANCE_FAMILY, type.family());
    labels.put(WellKnownLabels.INSTANCE_GENERATION, Integer.toString(type.generation()));
    labels.put(WellKnownLabels.INSTANCE_SIZE, type.size());
    labels.put(WellKnownLabels.INSTANCE_CPU, Integer.toString(type.vcpu()));
    labels.put(WellKnownLabels.INSTANCE_MEMORY, Long.toString(type.memoryMiB()));
    labels.put(WellKnownLabels.INSTANCE_GPU_COUNT, Integer.toString(type.gpus()));
    // as Karpenter labels its nodes: a bandwidth, local disk or GPU model the catalog does not know is no label, so
    // In never matches it and DoesNotExist does
    labels.put(WellKnownLabels.INSTANCE_HYPERVISOR, type.hypervisor());
    labels.put(WellKnownLabels.INSTANCE_CPU_MANUFACTURER, type.cpuManufacturer());
    labels.put(WellKnownLabels.INSTANCE_ENCRYPTION_IN_TRANSIT, Boolean.toString(type.encryptionInTransit()));
    putPositive(labels, WellKnownLabels.INSTANCE_NETWORK_BANDWIDTH, type.networkBandwidthMbps());
    putPositive(labels, WellKnownLabels.INSTANCE_EBS_BANDWIDTH, type.ebsBandwidthMbps());
    putPositive(labels, WellKnownLabels.INSTANCE_LOCAL_NVME, type.localNvmeGiB());
    if (type.gpus() > 0) {
      putPositive(labels, WellKnownLabels.INSTANCE_GPU_MEMORY, type.gpuMemoryMiB() / type.gpus());
      if (!type.gpuName().isEmpty()) {
        labels.put(WellKnownLabels.INSTANCE_GPU_NAME, type.gpuName());
        labels.put(WellKnownLabels.INSTANCE_GPU_MANUFACTURER, type.gpuManufacturer());
      }
    }
    return java.util.Collections.unmodifiableMap(labels);
  }

  /**
   * What a type's name alone says of it (type, category, family, generation, size), for a type the catalog at hand
   * does not know: a newer type than the bundled catalog's.
   */
  public static Map<String, String> ofName(String name) {
    InstanceType named = new InstanceType(name, null, 0, 0, "", 0, 0, 0, 0, java.util.List.of(), true, false, 0, 0);
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(WellKnownLabels.INSTANCE_TYPE, name);
    labels.put(WellKnownLabels.INSTANCE_CATEGORY, named.category());
    labels.put(WellKnownLabels.INSTANCE_FAMILY, named.family());
    labels.put(WellKnownLabels.INSTANCE_GENERATION, Integer.toString(named.generation()));
    labels.put(WellKnownLabels.INSTANCE_SIZE, named.size());
    return labels;
  }

  /**
   * Adds the region a node of the catalog runs in (the cloud provider labels every node with it), where the catalog
   * names one: a pod or a NodePool pinning the region finds it.
   */
  public static void putRegion(Map<String, String> labels, String region) {
    if (region != null && !region.isBlank()) {
      labels.put(WellKnownLabels.REGION, region);
    }
  }

  private static void putPositive(Map<String, String> labels, String key, long value) {
    if (value > 0) {
      labels.put(key, Long.toString(value));
    }
  }

  /** The same labels with the Karpenter spellings added, as launched nodes carry them for pods written for Karpenter. */
  public static Map<String, String> withAliases(Map<String, String> labels) {
    Map<String, String> result = new LinkedHashMap<>(labels);
    labels.forEach((k, v) -> {
      if (k.startsWith("flotilla.dev/instance-")) {
        result.put("karpenter.k8s.aws/" + k.substring("flotilla.dev/".length()), v);
      } else if (k.equals(WellKnownLabels.CAPACITY_TYPE) || k.equals(WellKnownLabels.NODEPOOL)) {
        result.put("karpenter.sh/" + k.substring("flotilla.dev/".length()), v);
      }
    });
    return result;
  }
}
