package dev.flotilla.catalog;

import dev.flotilla.model.Resources;
import java.util.HashMap;
import java.util.Map;

/**
 * The node model every part of Flotilla agrees on: what a node of an instance type offers to pods once the
 * hypervisor, the kubelet and the eviction threshold have taken their share. The scheduler, the consolidator, the
 * simulator's kubelets and the tests all read allocatable from here.
 *
 * <ul>
 *   <li>memory capacity = nominal − ⌈7.5% of nominal⌉ (MiB), the share EC2's hypervisor keeps;</li>
 *   <li>kube-reserved CPU = 6% of the first core + 1% of the second + 0.5% of cores 3–4 + 0.25% of each further core;</li>
 *   <li>kube-reserved memory = 255 MiB + 11 MiB × max pods; eviction threshold 100 MiB;</li>
 *   <li>pods = the ENI-limited max pods; ephemeral storage from a 20 GiB root volume less 10% eviction and 1 GiB reserved.</li>
 * </ul>
 */
public final class NodeCapacity {

  public static final long MIB = 1L << 20;
  public static final long GIB = 1L << 30;
  public static final long ROOT_VOLUME_BYTES = 20 * GIB;
  static final long EVICTION_MIB = 100;

  private NodeCapacity() {}

  /** What the node reports as capacity: what NodePool limits count. */
  public static Resources capacity(InstanceType type) {
    Map<String, Long> r = new HashMap<>();
    r.put(Resources.CPU, type.vcpu() * 1000L);
    r.put(Resources.MEMORY, memoryCapacityMiB(type) * MIB);
    r.put(Resources.PODS, (long) type.maxPods());
    r.put(Resources.EPHEMERAL_STORAGE, ROOT_VOLUME_BYTES);
    accelerators(type, r);
    return new Resources(r);
  }

  /**
   * The largest capacity in each resource among the named types the catalog knows, or null when it knows none: what
   * a claim that may still come up as any of them counts against its NodePool's limits.
   */
  public static Resources largest(Iterable<String> typeNames, OfferingCatalog catalog) {
    Resources largest = null;
    for (String name : typeNames) {
      InstanceType type = catalog.type(name);
      if (type != null) {
        largest = largest == null ? capacity(type) : largest.max(capacity(type));
      }
    }
    return largest;
  }

  /** What pods may request on a node of this type, before any DaemonSet takes its share. */
  public static Resources allocatable(InstanceType type) {
    Map<String, Long> r = new HashMap<>();
    r.put(Resources.CPU, Math.max(0, type.vcpu() * 1000L - kubeReservedCpuMillis(type.vcpu())));
    long memMiB = memoryCapacityMiB(type) - kubeReservedMemoryMiB(type.maxPods()) - EVICTION_MIB;
    r.put(Resources.MEMORY, Math.max(0, memMiB) * MIB);
    r.put(Resources.PODS, (long) type.maxPods());
    r.put(Resources.EPHEMERAL_STORAGE, ROOT_VOLUME_BYTES - ROOT_VOLUME_BYTES / 10 - GIB);
    accelerators(type, r);
    return new Resources(r);
  }

  static long memoryCapacityMiB(InstanceType type) {
    return type.memoryMiB() - (long) Math.ceil(type.memoryMiB() * 0.075);
  }

  /** In millicores, rounded up: 60 + 10 + 5 + 5 + 2.5 per core beyond four. */
  public static long kubeReservedCpuMillis(int cores) {
    // tenths of a millicore keep the 0.25% steps exact until the final rounding
    long tenths = 0;
    for (int core = 1; core <= cores; core++) {
      tenths += core == 1 ? 600 : core == 2 ? 100 : core <= 4 ? 50 : 25;
    }
    return (tenths + 9) / 10;
  }

  public static long kubeReservedMemoryMiB(int maxPods) {
    return 255 + 11L * maxPods;
  }

  private static void accelerators(InstanceType type, Map<String, Long> r) {
    if (type.gpus() > 0) {
      r.put(type.family().startsWith("g4ad") ? Resources.AMD_GPU : Resources.NVIDIA_GPU, (long) type.gpus());
    }
    if (type.neuronDevices() > 0) {
      r.put(Resources.NEURON, (long) type.neuronDevices());
    }
  }
}
