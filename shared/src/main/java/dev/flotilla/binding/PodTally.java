package dev.flotilla.binding;

import dev.flotilla.model.PendingPod;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How many running pods a {@link Selection} selects in each topology domain, for the topology keys asked of it so
 * far. Kept as pods are bound and removed, so spread and affinity read a count instead of walking the cluster.
 */
final class PodTally {

  final Selection selection;
  private final Map<String, Map<String, Integer>> byKey = new HashMap<>();
  /**
   * The pods selected on each node that runs any: a topology key asked later is counted from these, where a walk
   * over every running pod (thousands, each matched by the selector) for each key was most of what loading a
   * cluster cost.
   */
  private final Map<NodeLoad, Integer> onNode = new IdentityHashMap<>();
  int total;

  /** @param byLabels the running pods by namespace and labels, then by node: one selector match per such set */
  PodTally(Selection selection, Map<ClusterState.Labelled, Map<NodeLoad, Integer>> byLabels) {
    this.selection = selection;
    byLabels.forEach((labelled, where) -> {
      if (selection.selects(labelled.namespace(), labelled.labels())) {
        where.forEach((node, n) -> {
          onNode.merge(node, n, Integer::sum);
          total += n;
        });
      }
    });
  }

  boolean tracks(String key) {
    return byKey.containsKey(key);
  }

  void track(String key) {
    Map<String, Integer> counts = new HashMap<>();
    onNode.forEach((node, n) -> {
      String value = node.labels.get(key);
      if (value != null) {
        counts.merge(value, n, Integer::sum);
      }
    });
    byKey.put(key, counts);
  }

  void change(PendingPod pod, NodeLoad node, int sign) {
    if (!selection.selects(pod)) {
      return;
    }
    total += sign;
    onNode.merge(node, sign, (a, b) -> a + b == 0 ? null : a + b);
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
