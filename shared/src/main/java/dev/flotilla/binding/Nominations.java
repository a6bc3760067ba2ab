package dev.flotilla.binding;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pending pods' {@code status.nominatedNodeName}, by pod and by node. When a node is evaluated for a pod, the pods
 * nominated to it with equal or higher priority count as using their requests, as kube-scheduler's
 * RunFilterPluginsWithNominatedPods adds them to the node before filtering.
 */
final class Nominations {

  private final Map<String, String> byPod = new HashMap<>();
  private final Map<String, Map<String, QueuedPod>> byNode = new HashMap<>();

  void nominate(QueuedPod pod, String node) {
    clear(pod.name());
    byPod.put(pod.name(), node);
    byNode.computeIfAbsent(node, n -> new LinkedHashMap<>()).put(pod.name(), pod);
  }

  String nodeOf(String pod) {
    return byPod.get(pod);
  }

  /** Clears a pod's nomination; true when it had one. */
  boolean clear(String pod) {
    String node = byPod.remove(pod);
    if (node == null) {
      return false;
    }
    Map<String, QueuedPod> pods = byNode.get(node);
    pods.remove(pod);
    if (pods.isEmpty()) {
      byNode.remove(node);
    }
    return true;
  }

  /** Clears every nomination to a node that left the cluster. */
  void clearNode(String node) {
    Map<String, QueuedPod> pods = byNode.remove(node);
    if (pods != null) {
      pods.keySet().forEach(byPod::remove);
    }
  }

  /** The pods nominated to a node that count against {@code pod} there: not itself, at equal or higher priority. */
  Iterable<QueuedPod> against(QueuedPod pod, String node) {
    Map<String, QueuedPod> pods = byNode.get(node);
    if (pods == null) {
      return java.util.List.of();
    }
    return () -> pods.values().stream()
        .filter(p -> !p.name().equals(pod.name()) && p.priority() >= pod.priority()).iterator();
  }

  boolean any(String node) {
    return byNode.containsKey(node);
  }

  int size() {
    return byPod.size();
  }
}
