package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import java.util.HashMap;
import java.util.Map;

/**
 * How many running pods a {@link Selection} selects in each topology domain, for the topology keys asked of it so
 * far. Kept as pods are bound and removed, so spread and affinity read a count instead of walking the cluster.
 */
final class PodTally {

  final Selection selection;
  private final Map<String, Map<String, Integer>> byKey = new HashMap<>();
  int total;

  PodTally(Selection selection, Iterable<NodeLoad> nodes) {
    this.selection = selection;
    for (NodeLoad node : nodes) {
      for (PendingPod pod : node.running.values()) {
        if (selection.selects(pod)) {
          total++;
        }
      }
    }
  }

  boolean tracks(String key) {
    return byKey.containsKey(key);
  }

  void track(String key, Iterable<NodeLoad> nodes) {
    Map<String, Integer> counts = new HashMap<>();
    for (NodeLoad node : nodes) {
      String value = node.labels.get(key);
      if (value == null) {
        continue;
      }
      int n = 0;
      for (PendingPod pod : node.running.values()) {
        if (selection.selects(pod)) {
          n++;
        }
      }
      if (n > 0) {
        counts.merge(value, n, Integer::sum);
      }
    }
    byKey.put(key, counts);
  }

  void change(PendingPod pod, NodeLoad node, int sign) {
    if (!selection.selects(pod)) {
      return;
    }
    total += sign;
    for (Map.Entry<String, Map<String, Integer>> e : byKey.entrySet()) {
      String value = node.labels.get(e.getKey());
      if (value != null) {
        int n = e.getValue().getOrDefault(value, 0) + sign;
        if (n == 0) {
          e.getValue().remove(value);
        } else {
          e.getValue().put(value, n);
        }
      }
    }
  }

  int count(String key, String value) {
    return value == null ? 0 : byKey.get(key).getOrDefault(value, 0);
  }
}
