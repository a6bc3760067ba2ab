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
    return java.util.Collections.unmodifiableMap(labels);
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
