package dev.flotilla.model;

import java.util.Map;

/**
 * The node labels Flotilla reads and writes. Flotilla's own domain is {@code flotilla.dev/}; the Karpenter and
 * legacy beta spellings of the same facts are accepted everywhere and normalised with {@link #canonical}, so pods and
 * NodePools written for Karpenter keep working.
 */
public final class WellKnownLabels {

  public static final String ARCH = "kubernetes.io/arch";
  public static final String OS = "kubernetes.io/os";
  public static final String HOSTNAME = "kubernetes.io/hostname";
  public static final String INSTANCE_TYPE = "node.kubernetes.io/instance-type";
  public static final String ZONE = "topology.kubernetes.io/zone";
  /** The region: a cluster's nodes are all in one, so it is one topology domain. */
  public static final String REGION = "topology.kubernetes.io/region";
  /** The zone's ID (use1-az1), the same in every account, where zone names are mapped per account. */
  public static final String ZONE_ID = "topology.k8s.aws/zone-id";
  public static final String CAPACITY_TYPE = "flotilla.dev/capacity-type";
  public static final String INSTANCE_CATEGORY = "flotilla.dev/instance-category";
  public static final String INSTANCE_FAMILY = "flotilla.dev/instance-family";
  public static final String INSTANCE_GENERATION = "flotilla.dev/instance-generation";
  public static final String INSTANCE_SIZE = "flotilla.dev/instance-size";
  public static final String INSTANCE_CPU = "flotilla.dev/instance-cpu";
  public static final String INSTANCE_MEMORY = "flotilla.dev/instance-memory";
  public static final String INSTANCE_GPU_COUNT = "flotilla.dev/instance-gpu-count";
  public static final String INSTANCE_GPU_NAME = "flotilla.dev/instance-gpu-name";
  public static final String INSTANCE_GPU_MANUFACTURER = "flotilla.dev/instance-gpu-manufacturer";
  public static final String INSTANCE_GPU_MEMORY = "flotilla.dev/instance-gpu-memory";
  public static final String INSTANCE_HYPERVISOR = "flotilla.dev/instance-hypervisor";
  public static final String INSTANCE_CPU_MANUFACTURER = "flotilla.dev/instance-cpu-manufacturer";
  public static final String INSTANCE_NETWORK_BANDWIDTH = "flotilla.dev/instance-network-bandwidth";
  public static final String INSTANCE_EBS_BANDWIDTH = "flotilla.dev/instance-ebs-bandwidth";
  public static final String INSTANCE_ENCRYPTION_IN_TRANSIT = "flotilla.dev/instance-encryption-in-transit-supported";
  public static final String INSTANCE_LOCAL_NVME = "flotilla.dev/instance-local-nvme";
  public static final String NODEPOOL = "flotilla.dev/nodepool";
  public static final String CLAIM = "flotilla.dev/claim";
  public static final String CLUSTER = "flotilla.dev/cluster";
  public static final String DO_NOT_DISRUPT = "flotilla.dev/do-not-disrupt";
  public static final String KARPENTER_DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt";

  private static final Map<String, String> ALIASES = Map.ofEntries(
      Map.entry("karpenter.sh/capacity-type", CAPACITY_TYPE),
      Map.entry("karpenter.sh/nodepool", NODEPOOL),
      Map.entry("karpenter.k8s.aws/instance-category", INSTANCE_CATEGORY),
      Map.entry("karpenter.k8s.aws/instance-family", INSTANCE_FAMILY),
      Map.entry("karpenter.k8s.aws/instance-generation", INSTANCE_GENERATION),
      Map.entry("karpenter.k8s.aws/instance-size", INSTANCE_SIZE),
      Map.entry("karpenter.k8s.aws/instance-cpu", INSTANCE_CPU),
      Map.entry("karpenter.k8s.aws/instance-memory", INSTANCE_MEMORY),
      Map.entry("karpenter.k8s.aws/instance-gpu-count", INSTANCE_GPU_COUNT),
      Map.entry("karpenter.k8s.aws/instance-gpu-name", INSTANCE_GPU_NAME),
      Map.entry("karpenter.k8s.aws/instance-gpu-manufacturer", INSTANCE_GPU_MANUFACTURER),
      Map.entry("karpenter.k8s.aws/instance-gpu-memory", INSTANCE_GPU_MEMORY),
      Map.entry("karpenter.k8s.aws/instance-hypervisor", INSTANCE_HYPERVISOR),
      Map.entry("karpenter.k8s.aws/instance-cpu-manufacturer", INSTANCE_CPU_MANUFACTURER),
      Map.entry("karpenter.k8s.aws/instance-network-bandwidth", INSTANCE_NETWORK_BANDWIDTH),
      Map.entry("karpenter.k8s.aws/instance-ebs-bandwidth", INSTANCE_EBS_BANDWIDTH),
      Map.entry("karpenter.k8s.aws/instance-encryption-in-transit-supported", INSTANCE_ENCRYPTION_IN_TRANSIT),
      Map.entry("karpenter.k8s.aws/instance-local-nvme", INSTANCE_LOCAL_NVME),
      Map.entry("beta.kubernetes.io/arch", ARCH),
      Map.entry("beta.kubernetes.io/os", OS),
      Map.entry("beta.kubernetes.io/instance-type", INSTANCE_TYPE),
      Map.entry("failure-domain.beta.kubernetes.io/zone", ZONE),
      Map.entry("failure-domain.beta.kubernetes.io/region", REGION));

  private WellKnownLabels() {}

  /** Flotilla's spelling of a label key; keys that have no alias come back unchanged. */
  public static String canonical(String key) {
    return ALIASES.getOrDefault(key, key);
  }

  /** Whether the key is decided by the offering (zone, capacity type) rather than by the instance type. */
  public static boolean isOfferingKey(String key) {
    return ZONE.equals(key) || CAPACITY_TYPE.equals(key);
  }
}
