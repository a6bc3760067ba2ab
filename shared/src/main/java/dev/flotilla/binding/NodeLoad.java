package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import dev.flotilla.model.Resources;
import dev.flotilla.model.Taint;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node as the binder sees it: what it offers and the running sums of what its pods request, kept as pods come and
 * go so that no check walks the node's pods. CPU and memory are also kept in kube-scheduler's non-zero form (a pod
 * requesting none counts 100m and 200 MiB) for NodeResourcesFit's score.
 */
final class NodeLoad {

  static final long DEFAULT_CPU = 100;
  static final long DEFAULT_MEMORY = 200L << 20;

  final String name;
  final Map<String, String> labels;
  List<Taint> taints;
  final Resources allocatable;
  final long allocatableCpu;
  final long allocatableMemory;
  final long allocatablePods;
  boolean unschedulable;
  long cpu;
  long memory;
  long pods;
  long nonZeroCpu;
  long nonZeroMemory;
  final Map<String, Long> other = new HashMap<>();
  final Map<String, Integer> hostPorts = new HashMap<>();
  final Map<String, PendingPod> running = new LinkedHashMap<>();

  NodeLoad(String name, Map<String, String> labels, List<Taint> taints, Resources allocatable) {
    this.name = name;
    this.labels = Map.copyOf(labels);
    this.taints = List.copyOf(taints);
    this.allocatable = allocatable;
    this.allocatableCpu = allocatable.get(Resources.CPU);
    this.allocatableMemory = allocatable.get(Resources.MEMORY);
    this.allocatablePods = allocatable.get(Resources.PODS);
  }

  void add(PendingPod pod) {
    running.put(pod.name(), pod);
    change(pod, 1);
  }

  void remove(PendingPod pod) {
    if (running.remove(pod.name()) != null) {
      change(pod, -1);
    }
  }

  private void change(PendingPod pod, int sign) {
    Resources r = pod.requests();
    long podCpu = r.get(Resources.CPU);
    long podMemory = r.get(Resources.MEMORY);
    long podSlots = r.get(Resources.PODS);
    cpu += sign * podCpu;
    memory += sign * podMemory;
    pods += sign * podSlots;
    nonZeroCpu += sign * (podCpu == 0 ? DEFAULT_CPU : podCpu);
    nonZeroMemory += sign * (podMemory == 0 ? DEFAULT_MEMORY : podMemory);
    // requests hold no zero amounts: more entries than the core ones it has means another resource (a GPU)
    int core = (podCpu != 0 ? 1 : 0) + (podMemory != 0 ? 1 : 0) + (podSlots != 0 ? 1 : 0);
    if (r.amounts().size() > core) {
      for (Map.Entry<String, Long> e : r.amounts().entrySet()) {
        if (!isCore(e.getKey())) {
          other.merge(e.getKey(), sign * e.getValue(), Long::sum);
        }
      }
    }
    for (String port : pod.hostPorts()) {
      hostPorts.merge(port, sign, Integer::sum);
      if (hostPorts.get(port) <= 0) {
        hostPorts.remove(port);
      }
    }
  }

  static boolean isCore(String resource) {
    return resource.equals(Resources.CPU) || resource.equals(Resources.MEMORY) || resource.equals(Resources.PODS);
  }

  long requested(String resource) {
    return switch (resource) {
      case Resources.CPU -> cpu;
      case Resources.MEMORY -> memory;
      case Resources.PODS -> pods;
      default -> other.getOrDefault(resource, 0L);
    };
  }
}
